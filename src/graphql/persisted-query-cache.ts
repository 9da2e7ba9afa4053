import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { CacheStore } from '../cache/cache-store.js';
import type { Logger, Telemetry } from '../telemetry/events.js';

export interface PersistedQueryCacheOptions {
  readonly store: CacheStore;
  /** The deployment's key prefix (`CACHE_KEY_PREFIX`); Apollo adds its own `apq:` after it. */
  readonly keyPrefix: string;
  /** Used when Apollo passes no TTL of its own. */
  readonly ttlSeconds: number;
  readonly telemetry: Pick<Telemetry, 'storeError'>;
  readonly logger: Logger;
}

// Apollo's keys are `apq:` plus a client-supplied hash (64 hex characters when honest); anything much longer is not
// a hash we could have stored, so it is a miss without a round trip.
const MAX_KEY_LENGTH = 200;

/**
 * Apollo's `KeyValueCache` over the gateway's own store, for automatic persisted queries: a document one replica
 * registered is found by every other, in Redis as in memory, as `<prefix>apq:<sha256>` with a TTL.
 *
 * Not `@apollo/utils.keyvadapter`: it would need the store's Keyv instance, whose Redis deserializer decodes every
 * value as a cache entry (a query text would read as absent). The store's `getText`/`setText` go through the same
 * connection, bounded like every other store operation.
 *
 * A store failure must not fail the request: a read that fails is a miss (the client then sends the full query,
 * which APQ clients do on PERSISTED_QUERY_NOT_FOUND), and a write that fails is only logged. Apollo itself would
 * turn a rejected read into a 500.
 */
export class PersistedQueryCache implements KeyValueCache<string> {
  readonly #options: PersistedQueryCacheOptions;

  constructor(options: PersistedQueryCacheOptions) {
    this.#options = options;
  }

  async get(key: string): Promise<string | undefined> {
    if (key.length > MAX_KEY_LENGTH) return undefined;
    try {
      return await this.#options.store.getText(this.#options.keyPrefix + key);
    } catch (error) {
      this.#failed(error, 'persisted query lookup failed; answering PERSISTED_QUERY_NOT_FOUND');
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttlSeconds = options?.ttl ?? this.#options.ttlSeconds;
    try {
      await this.#options.store.setText(this.#options.keyPrefix + key, value, ttlSeconds * 1000);
    } catch (error) {
      this.#failed(error, 'persisted query could not be registered');
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#options.store.deleteText(this.#options.keyPrefix + key);
    } catch (error) {
      this.#failed(error, 'persisted query could not be deleted');
    }
  }

  #failed(error: unknown, message: string): void {
    this.#options.telemetry.storeError('apq');
    this.#options.logger.warn({ err: error }, message);
  }
}
