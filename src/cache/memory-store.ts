import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { CacheEntry, RecentPurchase, UserState } from './cache-entry.js';
import { EMPTY_USER_STATE } from './cache-entry.js';
import type { CacheStore, EntryWrite, OrderRecord, PurchaseLimits, UserSnapshot } from './cache-store.js';
import type { UserKeys } from './key-scheme.js';
import type { StoredValue } from './entry-codec.js';
import { decodeOrder, encodeOrder } from './entry-codec.js';

/** Keyv's in-memory envelope: serialization is switched off, so values are kept as objects. */
interface Envelope {
  value: StoredValue | string;
  expires?: number | undefined;
}

/**
 * The embedded default: a bounded LRU behind Keyv, for one gateway process.
 *
 * Reads go through Keyv. The compare-and-set write and the purchase update are done synchronously on the LRU
 * itself: JavaScript runs them to completion without yielding, which is exactly the atomicity the Redis driver gets
 * from Lua. Going through Keyv's async `set` there would let a purchase slip between the check and the write.
 */
export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  readonly #lru: LRUCache<string, Envelope>;
  readonly #keyv: Keyv<StoredValue | string>;

  constructor(maxEntries: number, private readonly now: () => number = Date.now) {
    this.#lru = new LRUCache<string, Envelope>({ max: maxEntries });
    // Keyv reads a view of the LRU that judges expiry by this store's clock, like every other path here. Handed the
    // LRU itself, Keyv would judge the envelope's `expires` by Date.now(), which an injected clock does not move: an
    // entry would be served after it expired, or missed long before (with a clock behind the wall clock).
    const clockAwareView = {
      get: (key: string): Envelope | undefined => {
        const value = this.#live(key);
        return value === undefined ? undefined : { value };
      },
      set: (key: string, envelope: Envelope): void => {
        this.#lru.set(key, envelope);
      },
      delete: (key: string): boolean => this.#lru.delete(key),
      clear: (): void => this.#lru.clear(),
    };
    this.#keyv = new Keyv<StoredValue | string>({
      store: clockAwareView,
      useKeyPrefix: false,
      serialize: undefined,
      deserialize: undefined,
    });
  }

  async readMany(keys: readonly UserKeys[]): Promise<UserSnapshot[]> {
    const flat = keys.flatMap((userKeys) => [userKeys.entry, userKeys.state]);
    const values = await this.#keyv.getMany(flat);
    return keys.map((_, index) => ({
      entry: asEntry(values[index * 2]),
      state: asState(values[index * 2 + 1]),
    }));
  }

  async writeMany(writes: readonly EntryWrite[]): Promise<boolean[]> {
    // Same lease rule as the Redis script: kept after a write until it lapses, given back when the write is refused.
    return writes.map((write) => {
      if (this.#stateOf(write.keys.state).generation !== write.expectedGeneration) {
        this.#releaseLease(write.keys.lease, write.leaseToken);
        return false;
      }
      this.#put(write.keys.entry, { kind: 'entry', entry: write.entry }, write.ttlMs);
      return true;
    });
  }

  async acquireLeases(keys: readonly UserKeys[], token: string, ttlMs: number): Promise<boolean[]> {
    return keys.map((userKeys) => {
      if (this.#live(userKeys.lease) !== undefined) return false;
      this.#put(userKeys.lease, token, ttlMs);
      return true;
    });
  }

  async releaseLeases(keys: readonly UserKeys[], token: string): Promise<void> {
    for (const userKeys of keys) this.#releaseLease(userKeys.lease, token);
  }

  async recordPurchase(keys: UserKeys, purchase: RecentPurchase, limits: PurchaseLimits): Promise<boolean> {
    const state = this.#stateOf(keys.state);
    const others = state.bought.filter((earlier) => earlier.itemId !== purchase.itemId);
    const bought = [purchase, ...others].slice(0, limits.maxRemembered);
    this.#put(keys.state, { kind: 'state', state: { generation: state.generation + 1, bought } }, limits.stateTtlMs);
    const hadEntry = this.#live(keys.entry) !== undefined;
    this.#lru.delete(keys.entry);
    this.#lru.delete(keys.lease);
    return hadEntry;
  }

  async claimOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<OrderRecord | undefined> {
    const existing = this.#live(orderKey);
    if (typeof existing === 'string') return decodeOrder(existing) ?? { userId: '', itemId: '', status: 'done', invalidated: false };
    this.#put(orderKey, encodeOrder(record), ttlMs);
    return undefined;
  }

  async saveOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<void> {
    this.#put(orderKey, encodeOrder(record), ttlMs);
  }

  async purgeVersion(patterns: readonly string[]): Promise<number> {
    const matchers = patterns.map(globToRegExp);
    let removed = 0;
    for (const key of [...this.#lru.keys()]) {
      if (matchers.some((matcher) => matcher.test(key)) && this.#lru.delete(key)) removed += 1;
    }
    return removed;
  }

  async getText(key: string): Promise<string | undefined> {
    const value = this.#live(key);
    return typeof value === 'string' ? value : undefined;
  }

  async setText(key: string, value: string, ttlMs: number): Promise<void> {
    this.#put(key, value, ttlMs);
  }

  async deleteText(key: string): Promise<void> {
    this.#lru.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#lru.clear();
  }

  #put(key: string, value: StoredValue | string, ttlMs: number): void {
    this.#lru.set(key, { value, expires: this.now() + ttlMs });
  }

  #live(key: string): StoredValue | string | undefined {
    const envelope = this.#lru.get(key);
    if (envelope === undefined) return undefined;
    if (envelope.expires !== undefined && envelope.expires <= this.now()) {
      this.#lru.delete(key);
      return undefined;
    }
    return envelope.value;
  }

  #stateOf(key: string): UserState {
    return asState(this.#live(key));
  }

  #releaseLease(key: string, token: string | undefined): void {
    if (token !== undefined && this.#live(key) === token) this.#lru.delete(key);
  }
}

// Private: narrowing what Keyv hands back.

function asEntry(value: StoredValue | string | undefined): CacheEntry | undefined {
  return typeof value === 'object' && value.kind === 'entry' ? value.entry : undefined;
}

function asState(value: StoredValue | string | undefined): UserState {
  return typeof value === 'object' && value.kind === 'state' ? value.state : EMPTY_USER_STATE;
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] ?? '';
    if (char === '\\') {
      source += escapeRegExp(pattern[index + 1] ?? '');
      index += 1;
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
