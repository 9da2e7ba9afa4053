import type { UserKeys } from './key-scheme.js';
import type { CacheEntry, RecentPurchase, UserState } from './cache-entry.js';

/**
 * The storage tier under the recommendation cache. Two drivers implement it: `memory-store.ts` (one process) and
 * `redis-store.ts` (Redis or Redis Cluster, shared by replicas). Both keep the same contract, checked by one test
 * suite run against each (test/cache/store-contract.ts).
 *
 * Every method may reject with a `StoreUnavailableError` when the backing store is down or slow; the cache above
 * turns that into a documented degradation (compute from the model, skip the write), never a failed read.
 */
export interface UserSnapshot {
  readonly entry: CacheEntry | undefined;
  readonly state: UserState;
}

export interface EntryWrite {
  readonly keys: UserKeys;
  readonly entry: CacheEntry;
  /** The physical TTL: until the end of the grace period. */
  readonly ttlMs: number;
  /** The user's generation when the recompute began; the write is refused if a purchase has bumped it since. */
  readonly expectedGeneration: number;
  /**
   * The lease this write holds, if any: released if the write is refused, else left to lapse (it lasts no longer than
   * the shortest fresh TTL, so it lapses before the list it guarded can go stale).
   */
  readonly leaseToken: string | undefined;
}

export interface PurchaseLimits {
  /** How many recent purchases the state keeps for serve-time filtering. */
  readonly maxRemembered: number;
  /** How long the user's state (generation and purchases) lives after its last purchase. */
  readonly stateTtlMs: number;
}

/** What the store remembers of an orderId, so a retried checkout call is recognised (idempotent purchases). */
export interface OrderRecord {
  readonly userId: string;
  readonly itemId: string;
  /** `pending` from the first attempt until its work is done: a retry finds it and finishes the work. */
  readonly status: 'pending' | 'done';
  /** Written with `done`: true once the purchase was applied to the store. A `done` record saying false (written by
   * an older gateway that gave up on the store) is not trusted: a retry applies the purchase again. */
  readonly invalidated: boolean;
  /** When the attempt that wrote a `pending` record claimed it (epoch ms): a retry waits on it only so long. */
  readonly claimedAt?: number;
}

export type StoreKind = 'memory' | 'redis' | 'redis-cluster';

export interface CacheStore {
  readonly kind: StoreKind;
  /** Entries and user states for many users, in one round trip. */
  readMany(keys: readonly UserKeys[]): Promise<UserSnapshot[]>;
  /** Compare-and-set writes: each succeeds only while the user's generation is still the expected one. */
  writeMany(writes: readonly EntryWrite[]): Promise<boolean[]>;
  /** Tries to take the recompute lease of each user (`SET NX PX`): true where this caller now holds it. */
  acquireLeases(keys: readonly UserKeys[], token: string, ttlMs: number): Promise<boolean[]>;
  /** Gives back leases this caller holds (after a failed computation), so another reader may try at once. */
  releaseLeases(keys: readonly UserKeys[], token: string): Promise<void>;
  /**
   * Atomically bumps the user's generation, remembers the purchase, and deletes the user's list and lease for the
   * given version. Resolves with whether a list was deleted.
   */
  recordPurchase(keys: UserKeys, purchase: RecentPurchase, limits: PurchaseLimits): Promise<boolean>;
  /**
   * Claims an orderId (`SET NX PX`): resolves undefined when this call claimed it, or with the record already there.
   */
  claimOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<OrderRecord | undefined>;
  /** Overwrites the order's record, e.g. pending → done. */
  saveOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<void>;
  /** Deletes every list (and lease) of one model version, in batches; resolves with the number of keys removed. */
  purgeVersion(patterns: readonly string[], batchSize: number): Promise<number>;
  /**
   * Plain text beside the lists, under the caller's own keys: Apollo's persisted query documents live here, so every
   * replica shares them through the same store. Undefined when absent or expired.
   */
  getText(key: string): Promise<string | undefined>;
  setText(key: string, value: string, ttlMs: number): Promise<void>;
  deleteText(key: string): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
