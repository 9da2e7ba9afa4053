import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { CacheEntry, RecentPurchase, UserState } from './cache-entry.js';
import { EMPTY_USER_STATE } from './cache-entry.js';
import type { EntryWrite, PurchaseLimits, StoreDriver, UserSnapshot } from './cache-store.js';
import { DecodeMemo } from './decode-memo.js';
import type { UserKeys } from './key-scheme.js';
import type { StoredValue } from './entry-codec.js';
import { encodeEntry, encodeOrder } from './entry-codec.js';
import type { OrderRecord } from './order-ledger.js';
import { claimOutcome, decideWrite, mayReleaseLease, mayTakeLease, stateAfterPurchase } from './store-semantics.js';
import { PACKED_PREFIX } from './packed-entry.js';

/** Default of MEMORY_STORE_MAX_BYTES: 100,000 users of 100-item lists (about 920 bytes each, see `heldSize`) and room to spare. */
export const DEFAULT_MEMORY_STORE_BYTES = 128 * 1024 * 1024;
/** Decoded lists kept for the users being hit (estimated by `DecodeMemo`): about 2,300 lists of 100 items. */
const DECODED_BYTES = 32 * 1024 * 1024;
/** What `DecodeMemo` counts for one decoded 100-item list (the default size). */
const DECODED_LIST_BYTES = 14_000;
/**
 * A list read again within this many packed reads is memoised: twice the lists the memo holds, so a list the memo
 * would still hold by the time it is read again is kept, and one read only now and then is not.
 */
const REMEMBER_WITHIN_READS = 2 * Math.floor(DECODED_BYTES / DECODED_LIST_BYTES);
/**
 * Heap one held key costs beyond its two strings: the envelope and its expiry, the LRU's map entry and list slots.
 * Measured with `npm run bench -- memory-store` (heap growth per user minus the strings' bytes).
 */
const PER_KEY_OVERHEAD = 256;
/** A user state's object and its purchases, as counted against the bound (they are few and small). */
const STATE_BYTES = 64;
const PURCHASE_BYTES = 64;

/**
 * What the LRU holds under a key: an entry as its packed text (`e2:…`, exactly what Redis holds), a user state as
 * its small object, a lease or order record as its string.
 */
type Held = string | { readonly kind: 'state'; readonly state: UserState };

/** Keyv's in-memory envelope: serialization is switched off, so values are kept as they are. */
interface Envelope {
  value: Held;
  expires?: number | undefined;
  /** When a packed list was last read (the store's count of packed reads then), or -1: see `#readable`. */
  readAt?: number;
}

/** The store's size, for /metrics. */
export interface MemoryStoreSize {
  /** Estimated heap bytes held (keys, values and bookkeeping), the figure MEMORY_STORE_MAX_BYTES bounds. */
  readonly bytes: number;
  readonly entries: number;
}

/**
 * The embedded default: an LRU behind Keyv, for one gateway process, bounded by bytes.
 *
 * Entries are held packed, as the text the Redis store writes (~640 bytes for a 100-item list, against 10-19 KB as
 * decoded objects), and decoded through a small memo for the users being hit: a hit on a hot user costs what it
 * did when whole objects were kept, and 100,000 users fit in about 90 MB of heap instead of 1-1.9 GB. A list larger
 * than the whole bound is not kept at all (a miss, computed again), as lru-cache does with any oversized value.
 *
 * Reads go through Keyv. Every atomic operation reads what it needs from the LRU, asks the pure function of
 * `store-semantics.ts` what to do (the same functions the Redis driver's Lua scripts transcribe), and applies the
 * answer, all in one synchronous step: JavaScript runs it to completion without yielding, which is exactly the
 * atomicity the Redis driver gets from Lua. Going through Keyv's async `set` there would let a purchase slip between
 * the check and the write.
 *
 * Expiry is judged by the injected clock (`now`) on every path, so tests move time instead of waiting for it.
 */
export class MemoryStore implements StoreDriver {
  readonly kind = 'memory';
  readonly #lru: LRUCache<string, Envelope>;
  readonly #keyv: Keyv<StoredValue | string>;
  readonly #decoded = new DecodeMemo(DECODED_BYTES);
  /** Packed lists read so far: the clock of `Envelope.readAt`. */
  #packedReads = 0;

  /** `maxBytes`: the bound on estimated heap held; the least recently used keys go first past it. */
  constructor(
    maxBytes: number = DEFAULT_MEMORY_STORE_BYTES,
    private readonly now: () => number = Date.now,
  ) {
    this.#lru = new LRUCache<string, Envelope>({ maxSize: maxBytes, sizeCalculation: heldSize });
    // Keyv reads a view of the LRU that judges expiry by this store's clock, like every other path here. Handed the
    // LRU itself, Keyv would judge the envelope's `expires` by Date.now(), which an injected clock does not move: an
    // entry would be served after it expired, or missed long before (with a clock behind the wall clock).
    const clockAwareView = {
      get: (key: string): { value: StoredValue | string } | undefined => {
        const envelope = this.#liveEnvelope(key);
        return envelope === undefined ? undefined : { value: this.#readable(envelope) };
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

  /** Estimated bytes held and keys held, read when /metrics is scraped. */
  get size(): MemoryStoreSize {
    return { bytes: this.#lru.calculatedSize, entries: this.#lru.size };
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
    return writes.map((write) => {
      const decision = decideWrite(this.#stateOf(write.keys.state), this.#leaseHolder(write.keys.lease), write);
      if (decision.releaseLease) this.#lru.delete(write.keys.lease);
      if (decision.written) this.#put(write.keys.entry, encodeEntry(write.entry), write.ttlMs);
      return decision.written;
    });
  }

  async acquireLeases(keys: readonly UserKeys[], token: string, ttlMs: number): Promise<boolean[]> {
    return keys.map((userKeys) => {
      if (!mayTakeLease(this.#leaseHolder(userKeys.lease))) return false;
      this.#put(userKeys.lease, token, ttlMs);
      return true;
    });
  }

  async releaseLeases(keys: readonly UserKeys[], token: string): Promise<void> {
    for (const userKeys of keys) {
      if (mayReleaseLease(this.#leaseHolder(userKeys.lease), token)) this.#lru.delete(userKeys.lease);
    }
  }

  async recordPurchase(keys: UserKeys, purchase: RecentPurchase, limits: PurchaseLimits): Promise<boolean> {
    const state = stateAfterPurchase(this.#stateOf(keys.state), purchase, limits);
    this.#put(keys.state, { kind: 'state', state }, limits.stateTtlMs);
    const hadEntry = this.#live(keys.entry) !== undefined;
    this.#lru.delete(keys.entry);
    this.#lru.delete(keys.lease);
    return hadEntry;
  }

  async claimOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<OrderRecord | undefined> {
    const stored = this.#live(orderKey);
    const outcome = claimOutcome(typeof stored === 'string' ? stored : undefined);
    if (!outcome.claimed) return outcome.existing;
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

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#lru.clear();
    this.#decoded.clear();
  }

  /**
   * A packed entry as its decoded value; anything else as it is held. Only a list read again soon is memoised
   * (frozen), so a hot user's hit costs a lookup; a list read once in a while is decoded for that read alone.
   * Memoising those would only churn the memo: measured, a read that memoises costs ~25 µs (the kept list survives
   * young-generation collections and is copied), one that only decodes ~7 µs, a memoised read ~3 µs.
   */
  #readable(envelope: Envelope): StoredValue | string {
    const { value } = envelope;
    if (typeof value !== 'string' || !value.startsWith(PACKED_PREFIX)) return value;
    const now = ++this.#packedReads;
    const lastRead = envelope.readAt ?? -1;
    envelope.readAt = now;
    return this.#decoded.decode(value, lastRead >= 0 && now - lastRead <= REMEMBER_WITHIN_READS) ?? value;
  }

  #put(key: string, value: Held, ttlMs: number): void {
    this.#lru.set(key, { value, expires: this.now() + ttlMs, readAt: -1 });
  }

  #live(key: string): Held | undefined {
    return this.#liveEnvelope(key)?.value;
  }

  #liveEnvelope(key: string): Envelope | undefined {
    const envelope = this.#lru.get(key);
    if (envelope === undefined) return undefined;
    if (envelope.expires !== undefined && envelope.expires <= this.now()) {
      this.#lru.delete(key);
      return undefined;
    }
    return envelope;
  }

  #stateOf(key: string): UserState {
    return asState(this.#live(key));
  }

  #leaseHolder(key: string): string | undefined {
    const held = this.#live(key);
    return typeof held === 'string' ? held : undefined;
  }
}

// Private: sizes, and narrowing what Keyv hands back.

/** Estimated heap of one key and what it holds; keys and packed texts are ASCII, one byte a character. */
function heldSize(envelope: Envelope, key: string): number {
  const { value } = envelope;
  const valueBytes =
    typeof value === 'string' ? value.length : STATE_BYTES + value.state.bought.length * PURCHASE_BYTES;
  return PER_KEY_OVERHEAD + key.length + valueBytes;
}

function asEntry(value: StoredValue | string | undefined): CacheEntry | undefined {
  return typeof value === 'object' && value.kind === 'entry' ? value.entry : undefined;
}

function asState(value: StoredValue | Held | undefined): UserState {
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
