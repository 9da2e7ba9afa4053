import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { Keyv } from 'keyv';
import type { Deserialize } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { LRUCache } from 'lru-cache';
import { BoundedRedis } from '../cache/redis-connection.js';
import type { RedisConnection } from '../cache/redis-connection.js';
import type { Logger, Telemetry } from '../telemetry/events.js';

export interface PersistedQueryStoreOptions {
  /** The deployment's key prefix (`CACHE_KEY_PREFIX`); Apollo adds its own `apq:` after it. */
  readonly keyPrefix: string;
  /** Used when Apollo passes no TTL of its own (APQ_TTL_SECONDS). */
  readonly ttlSeconds: number;
  readonly telemetry: Pick<Telemetry, 'storeError'>;
  readonly logger: Logger;
}

/** Where the documents live: Redis, shared by every replica, or an LRU of this process bounded by bytes. */
export type PersistedQueryBackend =
  | { readonly kind: 'shared'; readonly connection: RedisConnection; readonly timeoutMs: number }
  | { readonly kind: 'local'; readonly maxBytes: number };

/** The prefix Apollo Server puts before a persisted query's SHA-256 in its cache keys. */
export const APOLLO_APQ_KEY_PREFIX = 'apq:';

// Apollo's keys are `apq:` plus a client-supplied hash (64 hex characters when honest); anything much longer is not
// a hash we could have stored, so it is a miss without a round trip.
const MAX_KEY_LENGTH = 200;

/** Runs one store call under the backend's bound (a local LRU needs none). */
type Bounded = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

/**
 * Apollo's `KeyValueCache` for automatic persisted query (APQ) documents: get, set with a TTL, delete, as
 * `<prefix>apq:<sha256>`. Not the recommendation store's business, so not in it: a document is Apollo's, bounded by
 * rules of its own, and the list store's interface stays the operations the read path and purchases need.
 *
 * The bounds, and where each is enforced:
 *  - document size, registrations per client, bytes for all clients per window (APQ_MAX_DOCUMENT_BYTES,
 *    APQ_CLIENT_REGISTRATIONS, APQ_STORE_BUDGET_BYTES): admitted before Apollo writes here (`ClientLimits`, through
 *    the persisted-queries plugin); a refused registration never reaches `set`;
 *  - TTL: every document expires (Apollo's TTL, else APQ_TTL_SECONDS), by Redis' PX or by the LRU's own expiry;
 *  - APQ_STORE=local (or no Redis at all): an LRU in this process, also bounded by APQ_STORE_BUDGET_BYTES, so
 *    documents never share Redis memory with lists, user states and order records.
 *
 * Both backends are Keyv stores: `@keyv/redis` on the gateway's side connection to Redis (the one the shared budgets
 * use, opened and closed by `app.ts`; this class never closes it), or an lru-cache. On Redis the document is
 * stored as its bare text, not in Keyv's JSON envelope, so the key holds exactly the query (and earlier releases'
 * documents stay readable).
 *
 * A store failure must not fail the request: a read that fails is a miss (the client then sends the full query,
 * which APQ clients do on PERSISTED_QUERY_NOT_FOUND), and a write that fails is only logged and counted
 * (`recs_store_errors_total{operation="apq"}`). Apollo itself would turn a rejected read into a 500.
 */
export class PersistedQueryStore implements KeyValueCache<string> {
  readonly #keyv: Keyv<string>;
  readonly #bounded: Bounded;
  readonly #options: PersistedQueryStoreOptions;

  constructor(backend: PersistedQueryBackend, options: PersistedQueryStoreOptions) {
    this.#options = options;
    if (backend.kind === 'shared') {
      const redis = new BoundedRedis(backend.connection, backend.timeoutMs);
      this.#keyv = sharedKeyv(backend.connection, backend.timeoutMs);
      this.#bounded = async (operation, call) => redis.run(operation, call);
    } else {
      this.#keyv = localKeyv(backend.maxBytes);
      this.#bounded = async (_operation, call) => call();
    }
  }

  /**
   * The same documents for the fast path's lookup, which does not report a failed read: it passes the request to
   * Apollo, whose own lookup of the same hash follows and reports it, so a request counts one failure, not two.
   * Apollo's lookup cannot be answered from the fast path's instead (which would also spare the second round trip):
   * Apollo asks its cache with the key alone, from inside its request pipeline, with no plugin hook between the
   * request's start and the lookup, so the cache cannot tell which request asks.
   */
  readonly unreported: KeyValueCache<string> = {
    get: async (key) => this.#read(key, false),
    set: async (key, value, options) => this.set(key, value, options),
    delete: async (key) => this.delete(key),
  };

  async get(key: string): Promise<string | undefined> {
    return this.#read(key, true);
  }

  async #read(key: string, reported: boolean): Promise<string | undefined> {
    if (key.length > MAX_KEY_LENGTH) return undefined;
    try {
      return await this.#bounded('apq', async () => this.#keyv.get(this.#options.keyPrefix + key));
    } catch (error) {
      if (reported) this.#failed(error, 'persisted query lookup failed; answering PERSISTED_QUERY_NOT_FOUND');
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttlMs = Math.max(1, Math.round((options?.ttl ?? this.#options.ttlSeconds) * 1000));
    try {
      await this.#bounded('apq', async () => this.#keyv.set(this.#options.keyPrefix + key, value, ttlMs));
    } catch (error) {
      this.#failed(error, 'persisted query could not be registered');
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#bounded('apq', async () => this.#keyv.delete(this.#options.keyPrefix + key));
    } catch (error) {
      this.#failed(error, 'persisted query could not be deleted');
    }
  }

  #failed(error: unknown, message: string): void {
    this.#options.telemetry.storeError('apq');
    this.#options.logger.warn({ err: error }, message);
  }
}

// Private: the two Keyv stores.

function sharedKeyv(connection: RedisConnection, timeoutMs: number): Keyv<string> {
  const adapter = new KeyvRedis<string>(connection.client, {
    throwOnErrors: true,
    throwOnConnectError: true,
    connectionTimeout: timeoutMs,
  });
  adapter.on('error', () => {
    // Reported by the connection's own listener; this one only keeps Hookified from throwing.
  });
  const keyv = new Keyv<string>({
    store: adapter,
    // No namespace and no prefix of Keyv's own: the key is exactly `<prefix>apq:<hash>` (see redis-store.ts for why
    // both settings are needed).
    namespace: undefined,
    useKeyPrefix: false,
    // The bare text in Redis; expiry is Redis' PX, so the envelope's `expires` is not stored.
    serialize: (data) => (typeof data.value === 'string' ? data.value : JSON.stringify(data.value)),
    // Keyv types its deserializer as generic in the value; this one only ever yields a string, hence the cast.
    deserialize: ((raw: string) => ({ value: raw, expires: undefined })) as Deserialize,
    throwOnErrors: true,
  });
  keyv.on('error', () => {});
  return keyv;
}

/** Keyv's in-memory envelope (serialization is off: the LRU holds it as it is). */
interface Envelope {
  readonly value: string;
  readonly expires?: number | undefined;
}

function localKeyv(maxBytes: number): Keyv<string> {
  // Sized by the document's characters, as Apollo's InMemoryLRUCache did; a document over the whole bound is not kept.
  const lru = new LRUCache<string, Envelope>({
    maxSize: maxBytes,
    sizeCalculation: (envelope) => Math.max(1, envelope.value.length),
  });
  const store = {
    get: (key: string): Envelope | undefined => lru.get(key),
    // Keyv checks `expires` on read; the LRU's own TTL also lets an expired document go before it is read again.
    set: (key: string, envelope: Envelope, ttl?: number): void => {
      lru.set(key, envelope, ttl === undefined ? {} : { ttl });
    },
    delete: (key: string): boolean => lru.delete(key),
    clear: (): void => lru.clear(),
  };
  return new Keyv<string>({
    store,
    namespace: undefined,
    useKeyPrefix: false,
    serialize: undefined,
    deserialize: undefined,
  });
}
