import { createClient, createCluster } from '@keyv/redis';
import type { RedisClientType, RedisClusterType } from '@keyv/redis';
import { StoreUnavailableError } from '../errors.js';
import { DEFAULT_ACTIVE_USERS_CAPACITY } from '../recs/active-users.js';
import type { ActiveUsersLog } from '../recs/active-users.js';
import { activeUsersKey } from './key-scheme.js';

export interface RedisActiveUsersOptions {
  readonly url?: string | undefined;
  readonly clusterUrls?: readonly string[];
  readonly keyPrefix: string;
  /** Bound on each operation, connecting included. */
  readonly timeoutMs: number;
  readonly capacity?: number;
  readonly onError: (error: Error) => void;
}

type Connection =
  | { readonly kind: 'redis'; readonly client: RedisClientType }
  | { readonly kind: 'redis-cluster'; readonly client: RedisClusterType };

/**
 * The active-users log as one Redis sorted set (`<prefix>recs:active`, user id → last seen, epoch ms), shared by every
 * replica. A record is `ZADD` of the whole batch, then `ZREMRANGEBYRANK` to drop the oldest beyond `capacity`: two
 * commands on one key, so one slot on a cluster, sent together. Reads are `ZREVRANGE`.
 *
 * Its own connection rather than the cache store's: the store's client is private to it, and activity is written
 * about once a second, so a second connection per replica costs nothing worth sharing for. Same failure rules as the
 * store: no offline queue, every operation bounded, reconnects in the background.
 */
export class RedisActiveUsers implements ActiveUsersLog {
  readonly #connection: Connection;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #capacity: number;
  #connecting: Promise<void> | undefined;

  constructor(options: RedisActiveUsersOptions) {
    this.#key = activeUsersKey(options.keyPrefix);
    this.#timeoutMs = options.timeoutMs;
    this.#capacity = options.capacity ?? DEFAULT_ACTIVE_USERS_CAPACITY;
    const socket = { connectTimeout: options.timeoutMs, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) };
    const clusterUrls = options.clusterUrls ?? [];
    if (clusterUrls.length > 0) {
      const client = createCluster({
        rootNodes: clusterUrls.map((url) => ({ url })),
        defaults: { disableOfflineQueue: true, socket },
      }) as unknown as RedisClusterType;
      this.#connection = { kind: 'redis-cluster', client };
    } else {
      if (options.url === undefined) throw new TypeError('RedisActiveUsers needs a url or clusterUrls');
      const client = createClient({ url: options.url, disableOfflineQueue: true, socket }) as unknown as RedisClientType;
      this.#connection = { kind: 'redis', client };
    }
    this.#connection.client.on('error', options.onError);
  }

  async record(seen: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (seen.length === 0) return;
    const members = seen.flatMap(([userId, at]) => [String(at), userId]);
    await this.#bounded('record active users', async () => {
      await Promise.all([
        this.#send(['ZADD', this.#key, ...members], false),
        this.#send(['ZREMRANGEBYRANK', this.#key, '0', String(-this.#capacity - 1)], false),
      ]);
    });
  }

  async mostRecent(limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const reply = await this.#bounded('read active users', async () => this.#send(['ZREVRANGE', this.#key, '0', String(limit - 1)], true));
    return Array.isArray(reply) ? reply.filter((member): member is string => typeof member === 'string') : [];
  }

  async close(): Promise<void> {
    const client = this.#connection.client;
    if (!client.isOpen) return;
    try {
      await client.close();
    } catch {
      client.destroy();
    }
  }

  async #send(args: string[], readonly: boolean): Promise<unknown> {
    if (this.#connection.kind === 'redis') return this.#connection.client.sendCommand(args);
    return this.#connection.client.sendCommand(this.#key, readonly, args);
  }

  async #ensureConnected(): Promise<void> {
    if (this.#connecting !== undefined) return this.#connecting;
    if (this.#connection.client.isOpen) return;
    this.#connecting = (async () => {
      try {
        await this.#connection.client.connect();
      } finally {
        this.#connecting = undefined;
      }
    })();
    await this.#connecting;
  }

  async #bounded<T>(operation: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      return await Promise.race([
        (async () => {
          await this.#ensureConnected();
          return run();
        })(),
        deadline,
      ]);
    } catch (error) {
      throw new StoreUnavailableError(operation, error);
    } finally {
      clearTimeout(timer);
    }
  }
}
