import { BoundedRedis, closeRedisConnection, openRedisConnection, sendRedisCommand } from './redis-connection.js';
import type { RedisConnection } from './redis-connection.js';
import { DEFAULT_ACTIVE_USERS_CAPACITY } from './active-users-log.js';
import type { ActiveUsersLog } from './active-users-log.js';
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
  readonly #connection: RedisConnection;
  readonly #redis: BoundedRedis;
  readonly #key: string;
  readonly #capacity: number;

  constructor(options: RedisActiveUsersOptions) {
    this.#key = activeUsersKey(options.keyPrefix);
    this.#capacity = options.capacity ?? DEFAULT_ACTIVE_USERS_CAPACITY;
    this.#connection = openRedisConnection(options);
    this.#redis = new BoundedRedis(this.#connection, options.timeoutMs);
  }

  async record(seen: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (seen.length === 0) return;
    const members = seen.flatMap(([userId, at]) => [String(at), userId]);
    await this.#redis.run('record active users', async () => {
      await Promise.all([
        this.#send(['ZADD', this.#key, ...members], false),
        this.#send(['ZREMRANGEBYRANK', this.#key, '0', String(-this.#capacity - 1)], false),
      ]);
    });
  }

  async mostRecent(limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const reply = await this.#redis.run('read active users', async () =>
      this.#send(['ZREVRANGE', this.#key, '0', String(limit - 1)], true),
    );
    return Array.isArray(reply) ? reply.filter((member): member is string => typeof member === 'string') : [];
  }

  async close(): Promise<void> {
    await closeRedisConnection(this.#connection);
  }

  async #send(args: string[], readonly: boolean): Promise<unknown> {
    return sendRedisCommand(this.#connection, this.#key, args, readonly);
  }
}
