import { Keyv } from 'keyv';
import type { Deserialize } from 'keyv';
import KeyvRedis from '@keyv/redis';
import type { RedisClientType, RedisClusterType } from '@keyv/redis';
import { EMPTY_USER_STATE } from './cache-entry.js';
import type { CacheEntry, RecentPurchase, UserState } from './cache-entry.js';
import type { EntryWrite, PurchaseLimits, StoreDriver, UserSnapshot } from './cache-store.js';
import { DecodeMemo } from './decode-memo.js';
import { NearCache } from './near-cache.js';
import { CoalescedReads } from './coalesced-reads.js';
import { currentStoreDeadline } from './store-deadline.js';
import { encodeEntry, encodeOrder } from './entry-codec.js';
import type { StoredValue } from './entry-codec.js';
import type { UserKeys } from './key-scheme.js';
import type { OrderRecord } from './order-ledger.js';
import { storedOrder } from './store-semantics.js';
import { CLAIM_ORDER, COMPARE_AND_SET_ENTRY, RECORD_PURCHASE, RELEASE_LEASE } from './redis-scripts.js';
import type { LuaScript } from './redis-scripts.js';
import { BoundedRedis, closeRedisConnection, openRedisConnection, sendRedisCommand } from './redis-connection.js';
import type { RedisConnection, RedisConnectionOptions } from './redis-connection.js';

export type RedisStoreOptions = RedisConnectionOptions;

/** What the near cache holds and how it has done since start (the counts only grow). */
export interface NearCacheFigures {
  readonly keys: number;
  /** Keys in the invalidation index: never more than `keys` (`near-cache.ts`). */
  readonly indexedKeys: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/** Memory the decoded-value memo may hold (estimated by `DecodeMemo`): about 4,600 lists of 100 items. */
const DECODED_BYTES = 64 * 1024 * 1024;

/**
 * Redis and Redis Cluster driver. Reads go through Keyv (`@keyv/redis` groups an MGET by slot on a cluster);
 * atomic updates run as Lua scripts on the same connection, each the transcription of a function of
 * `store-semantics.ts` (taking a lease is plain `SET NX PX`, which is `mayTakeLease`).
 *
 * Failure behaviour is chosen so a Redis outage can never hold a read hostage: the offline queue is off (commands
 * fail at once while disconnected instead of queueing forever), connecting and every command are bounded by
 * `timeoutMs`, and the client keeps reconnecting in the background so the store recovers by itself.
 */
export class RedisStore implements StoreDriver {
  readonly kind: 'redis' | 'redis-cluster';
  readonly #connection: RedisConnection;
  readonly #redis: BoundedRedis;
  readonly #keyv: Keyv<StoredValue>;
  /** Decoded values by their exact stored text: a hot user's list is decoded once while Redis holds those bytes. */
  readonly #decoded = new DecodeMemo(DECODED_BYTES);

  readonly #nearCache: NearCache | undefined;

  constructor(options: RedisStoreOptions) {
    this.#connection = openRedisConnection(options);
    const nearCache = this.#connection.client.clientSideCache;
    this.#nearCache = nearCache instanceof NearCache ? nearCache : undefined;
    this.#redis = new BoundedRedis(this.#connection, options.timeoutMs);
    this.kind = this.#connection.kind;
    const adapter = new KeyvRedis<StoredValue>(this.#connection.client, {
      throwOnErrors: true,
      throwOnConnectError: true,
      connectionTimeout: options.timeoutMs,
    });
    adapter.on('error', () => {
      // Already reported through the client's own listener; this one only keeps Hookified from throwing.
    });
    this.#keyv = new Keyv<StoredValue>({
      store: adapter,
      // No namespace at all. `useKeyPrefix: false` only stops Keyv's own `keyv:` prefix; Keyv still hands its
      // default namespace ('keyv') to the adapter, and @keyv/redis would then read `keyv::recs:{42}:v2` while the
      // Lua scripts write `recs:{42}:v2`: every read a miss.
      namespace: undefined,
      useKeyPrefix: false,
      // Physical expiry is Redis' PX; the envelope's `expires` is not stored.
      serialize: (data) => (typeof data.value === 'string' ? data.value : JSON.stringify(data.value)),
      // Keyv types its deserializer as generic in the value; ours only ever yields StoredValue, hence the cast.
      deserialize: ((raw: string) => ({ value: this.#decode(raw), expires: undefined })) as Deserialize,
      throwOnErrors: true,
    });
    this.#keyv.on('error', () => {});
  }

  /**
   * With a near cache, one GET per key: node-redis keeps replies by command, so a key read alone is found again
   * whatever else the turn read with it (an MGET's reply would be kept under that exact list of keys). The GETs not
   * answered in process leave together, pipelined in one write.
   */
  readonly #readNow = (keys: readonly string[]): Promise<Array<StoredValue | undefined>> =>
    this.#redis.run('read', async () =>
      this.#nearCache === undefined ? this.#keyv.getMany([...keys]) : this.#readNear(this.#nearCache, keys),
    );

  /** Kept values are answered at once (`NearCache.peek`); the others are read through Keyv, which keeps them. */
  async #readNear(nearCache: NearCache, keys: readonly string[]): Promise<Array<StoredValue | undefined>> {
    const values = new Array<StoredValue | undefined>(keys.length);
    const reads: Array<Promise<void>> = [];
    keys.forEach((key, index) => {
      const kept = nearCache.peek(key);
      if (kept === undefined) {
        reads.push(
          this.#keyv.get(key).then((value) => {
            values[index] = value;
          }),
        );
      } else {
        values[index] = kept === null ? undefined : this.#decode(kept);
      }
    });
    if (reads.length > 0) await Promise.all(reads);
    return values;
  }
  readonly #reads = new CoalescedReads(this.#readNow);

  #decode(raw: string): StoredValue | undefined {
    return this.#decoded.decode(raw);
  }

  async readMany(keys: readonly UserKeys[]): Promise<UserSnapshot[]> {
    if (keys.length === 0) return [];
    const flat = keys.flatMap((userKeys) => [userKeys.entry, userKeys.state]);
    // Every key kept: answered now, without waiting for the turn's shared read (a whole turn of the event loop).
    const kept = this.#nearCache?.peekAll(flat);
    if (kept !== undefined) return snapshots(keys, kept, (raw) => this.#decode(raw));
    // A read under a request's shortened deadline goes alone, bounded by that deadline; the others share one call.
    const values = currentStoreDeadline() === undefined ? await this.#reads.read(flat) : await this.#readNow(flat);
    return snapshots(keys, values, (value) => value);
  }

  async writeMany(writes: readonly EntryWrite[]): Promise<boolean[]> {
    if (writes.length === 0) return [];
    // Issued in one tick, the scripts leave in one pipeline: one round trip for the whole batch.
    return this.#redis
      .run('write', async () =>
        Promise.all(
          writes.map(async (write) => {
            const written = await this.#evalScript(
              COMPARE_AND_SET_ENTRY,
              [write.keys.state, write.keys.entry, write.keys.lease],
              [
                String(write.expectedGeneration),
                encodeEntry(write.entry),
                String(Math.max(1, Math.round(write.ttlMs))),
                write.leaseToken ?? '',
              ],
            );
            return written === 1;
          }),
        ),
      )
      .finally(() => {
        for (const write of writes) this.#forget(write.keys.entry);
      });
  }

  async acquireLeases(keys: readonly UserKeys[], token: string, ttlMs: number): Promise<boolean[]> {
    if (keys.length === 0) return [];
    return this.#redis.run('lease', async () =>
      Promise.all(
        keys.map(async (userKeys) => {
          const reply = await this.#send(userKeys.lease, [
            'SET',
            userKeys.lease,
            token,
            'NX',
            'PX',
            String(Math.round(ttlMs)),
          ]);
          return reply === 'OK';
        }),
      ),
    );
  }

  async releaseLeases(keys: readonly UserKeys[], token: string): Promise<void> {
    if (keys.length === 0) return;
    await this.#redis.run('lease', async () =>
      Promise.all(keys.map(async (userKeys) => this.#evalScript(RELEASE_LEASE, [userKeys.lease], [token]))),
    );
  }

  async recordPurchase(keys: UserKeys, purchase: RecentPurchase, limits: PurchaseLimits): Promise<boolean> {
    try {
      const deleted = await this.#redis.run('purchase', async () =>
        this.#evalScript(
          RECORD_PURCHASE,
          [keys.state, keys.entry, keys.lease],
          [purchase.itemId, String(purchase.at), String(limits.maxRemembered), String(limits.stateTtlMs)],
        ),
      );
      return deleted === 1;
    } finally {
      // Whether or not the script ran (a timeout may have landed late), this process never answers the user from
      // what it kept before the purchase.
      this.#forget(keys.state);
      this.#forget(keys.entry);
    }
  }

  async claimOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<OrderRecord | undefined> {
    const existing = await this.#redis.run('order', async () =>
      this.#evalScript(CLAIM_ORDER, [orderKey], [encodeOrder(record), String(Math.round(ttlMs))]),
    );
    return typeof existing === 'string' ? storedOrder(existing) : undefined;
  }

  async saveOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<void> {
    await this.#redis.run('order', async () =>
      this.#send(orderKey, ['SET', orderKey, encodeOrder(record), 'PX', String(Math.round(ttlMs))]),
    );
  }

  async purgeVersion(patterns: readonly string[], batchSize: number): Promise<number> {
    // Bounded step by step, not as a whole: purging a large version may rightly take longer than one operation's
    // bound, but connecting and every single SCAN step (with its UNLINKs) must end, or fail as StoreUnavailableError.
    const nodes = await this.#redis.run('purge', async () => this.#purgeTargets());
    let removed = 0;
    for (const node of nodes) {
      for (const pattern of patterns) {
        // SCAN walks the key space in steps and never blocks Redis the way KEYS would.
        let cursor = '0';
        do {
          const step = await this.#redis.run('purge', async () => {
            const reply = await node.scan(cursor, { MATCH: pattern, COUNT: batchSize });
            // One UNLINK per key: on a cluster, a batch spans slots and a multi-key UNLINK would fail with CROSSSLOT.
            const counts = await Promise.all(reply.keys.map(async (key) => node.unlink(key)));
            for (const key of reply.keys) this.#forget(key);
            return { cursor: String(reply.cursor), removed: counts.reduce((sum, count) => sum + count, 0) };
          });
          cursor = step.cursor;
          removed += step.removed;
        } while (cursor !== '0');
      }
    }
    return removed;
  }

  /** The near cache's figures, or undefined without one: for `/metrics`. */
  get nearCache(): NearCacheFigures | undefined {
    const cache = this.#nearCache;
    if (cache === undefined) return undefined;
    const stats = cache.stats();
    return {
      keys: cache.size(),
      indexedKeys: cache.indexedKeys,
      hits: stats.hitCount,
      misses: stats.missCount,
      evictions: stats.evictionCount,
    };
  }

  async ping(): Promise<void> {
    await this.#redis.run('ping', async () => this.#send(undefined, ['PING']));
  }

  async close(): Promise<void> {
    await closeRedisConnection(this.#connection);
  }

  // Private: connection handling.

  /**
   * Drops what this process keeps of a key it has just changed. Redis pushes the same invalidation, but it may arrive
   * after the reply to the change; a read by this process right after its own write must not race it.
   */
  #forget(key: string): void {
    this.#nearCache?.invalidate(key);
  }

  /** The clients to SCAN: the one server, or every master of the cluster. */
  async #purgeTargets(): Promise<RedisClientType[]> {
    if (this.#connection.kind === 'redis') return [this.#connection.client];
    return Promise.all(this.#connection.client.masters.map(async (master) => this.#clusterNodeClient(master)));
  }

  async #clusterNodeClient(master: RedisClusterType['masters'][number]): Promise<RedisClientType> {
    if (this.#connection.kind !== 'redis-cluster') throw new Error('not a cluster');
    return await this.#connection.client.nodeClient(master);
  }

  async #send(firstKey: string | undefined, args: string[]): Promise<unknown> {
    return sendRedisCommand(this.#connection, firstKey, args);
  }

  async #evalScript(script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#send(keys[0], ['EVALSHA', script.sha1, ...tail]);
    } catch (error) {
      // First run on this Redis (or after a restart): load the script by sending its source once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return this.#send(keys[0], ['EVAL', script.source, ...tail]);
      }
      throw error;
    }
  }
}

// Private helpers.

/** Each user's list and state from the values read for `[entry, state]` of each, in order. */
function snapshots<R>(
  keys: readonly UserKeys[],
  values: ReadonlyArray<R | undefined>,
  decode: (raw: R) => StoredValue | undefined,
): UserSnapshot[] {
  return keys.map((_, index) => {
    const entry = values[index * 2];
    const state = values[index * 2 + 1];
    return {
      entry: asEntry(entry === undefined ? undefined : decode(entry)),
      state: asState(state === undefined ? undefined : decode(state)),
    };
  });
}

function asEntry(value: StoredValue | undefined): CacheEntry | undefined {
  return value?.kind === 'entry' ? value.entry : undefined;
}

function asState(value: StoredValue | undefined): UserState {
  return value?.kind === 'state' ? value.state : EMPTY_USER_STATE;
}
