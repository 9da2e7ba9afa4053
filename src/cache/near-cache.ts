import { BasicPooledClientSideCache } from '@redis/client';
import type { RedisArgument } from '@redis/client';

/**
 * node-redis' client-side caches, with an index that is bounded with them.
 *
 * node-redis (5.12) indexes its entries by the Redis keys they came from, to find them when Redis invalidates a key,
 * but only an invalidation or a full clear removes a key from that index: an entry dropped for being the oldest past
 * `maxEntries`, or for outliving `ttl`, leaves its key (and a Set) behind. Every distinct key ever read stays until
 * Redis happens to invalidate it, which for a replica reading a million users' lists is a heap that grows with the
 * users (measured: 207 MiB of heap at 100,000 cached users, 236 MiB at 1,000,000, where it had been flat).
 *
 * Here an entry leaves through `invalidate` of its keys, which is the one path that cleans node-redis' index, so the
 * index never holds more keys than the cache holds entries. The cache's own bookkeeping (which keys each entry came
 * from, which entries each key has) is kept beside it for that, bounded the same way.
 */
type CacheEntry = Parameters<BasicPooledClientSideCache['set']>[1];

/**
 * One class for a single Redis and a cluster: a cluster needs a pooled cache (one shared by the clients of every
 * node), and a single client takes it as well. Either way a lost connection clears it and its counts carry on.
 */
export class NearCache extends BasicPooledClientSideCache {
  readonly #keysOf = new Map<string, readonly string[]>();
  readonly #entriesOf = new Map<string, Set<string>>();

  override set(cacheKey: string, entry: CacheEntry, keys: RedisArgument[]): void {
    super.set(cacheKey, entry, keys);
    const names = keys.map(String);
    this.#keysOf.set(cacheKey, names);
    for (const name of names) {
      let entries = this.#entriesOf.get(name);
      if (entries === undefined) {
        entries = new Set();
        this.#entriesOf.set(name, entries);
      }
      entries.add(cacheKey);
    }
  }

  /** Called by node-redis for an entry past its TTL and for a failed load; by `deleteOldest` below. */
  override delete(cacheKey: string): void {
    const keys = this.#keysOf.get(cacheKey);
    if (keys === undefined) {
      super.delete(cacheKey);
      return;
    }
    for (const key of keys) this.invalidate(key);
  }

  /** The least recently used entry (node-redis keeps them in use order), dropped with its keys. */
  override deleteOldest(): void {
    const oldest = this.entryEntries().next();
    if (oldest.done !== true) this.delete(oldest.value[0]);
  }

  override invalidate(key: RedisArgument | null): void {
    if (key === null) {
      this.#forgetAll();
    } else {
      const name = String(key);
      for (const cacheKey of this.#entriesOf.get(name) ?? []) this.#keysOf.delete(cacheKey);
      this.#entriesOf.delete(name);
    }
    super.invalidate(key);
  }

  /**
   * node-redis empties its map on a clear (an invalidate-all push from FLUSHALL or FLUSHDB, a lost connection)
   * without marking what it held as invalidated, as a single key's invalidation does. A GET whose reply was parsed in
   * the same socket event as the push, on its way to being kept, would then be kept: a value Redis no longer holds
   * nor tracks for this connection, so no later push would remove it. Each entry is marked first.
   */
  override clear(resetStats?: boolean): void {
    for (const [, entry] of this.entryEntries()) entry.invalidate();
    this.#forgetAll();
    super.clear(resetStats);
  }

  /**
   * What `GET key` would answer from this cache, without sending it: the kept reply (a string, or null for a key Redis
   * did not hold), or undefined when none is kept, and the GET must go out. The same lookup as node-redis' own (TTL,
   * use order, hit count), without its command parsing, promise and copy of the value, which cost a hit about as
   * much as the MGET it replaces.
   */
  peek(key: string): string | null | undefined {
    const reply = this.#kept(key);
    if (reply !== undefined) this.recordHits(1);
    return reply;
  }

  #kept(key: string): string | null | undefined {
    for (const cacheKey of this.#entriesOf.get(key) ?? []) {
      const entry = this.get(cacheKey);
      if (entry === undefined || !('value' in entry)) continue;
      const value: unknown = entry.value;
      if (typeof value === 'string' || value === null) return value;
    }
    return undefined;
  }

  /**
   * The kept replies of every key (undefined in place of a null reply), or undefined when any one is not kept: then
   * the caller reads them all, and nothing is counted here.
   */
  peekAll(keys: readonly string[]): Array<string | undefined> | undefined {
    const replies: Array<string | undefined> = [];
    for (const key of keys) {
      const reply = this.#kept(key);
      if (reply === undefined) return undefined;
      replies.push(reply ?? undefined);
    }
    this.recordHits(keys.length);
    return replies;
  }

  /** Keys indexed: never more than the entries held. */
  get indexedKeys(): number {
    return this.#entriesOf.size;
  }

  #forgetAll(): void {
    this.#keysOf.clear();
    this.#entriesOf.clear();
  }
}
