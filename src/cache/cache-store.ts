import type { UserKeys } from './key-scheme.js';
import type { CacheEntry, RecentPurchase, UserState } from './cache-entry.js';
import type { OrderLedger } from './order-ledger.js';

/**
 * The storage tier under the recommendation cache, as three small interfaces rather than one wide one, so each
 * caller sees only the operations it may use:
 *
 *  - `CacheStore`, the list store: read, compare-and-set write, leases, and the purchase update. The read path
 *    (`recs/`) gets only this.
 *  - `OrderLedger` (`order-ledger.ts`): claim and save checkout order records. Only the purchase service gets it.
 *  - `VersionPurge`: delete one model version's lists. An admin operation (`npm run purge`, the admin mutation),
 *    never needed to serve a read, so not on the interface every read path sees.
 *
 * Two drivers implement all three (`StoreDriver`): `memory-store.ts` (one process) and `redis-store.ts` (Redis or
 * Redis Cluster, shared by replicas). What each atomic operation decides is written once, as pure functions in
 * `store-semantics.ts`: the memory driver runs them, the Lua scripts of `redis-scripts.ts` transcribe them, and one
 * test suite (test/cache/store-contract.ts) checks both drivers against every operation.
 *
 * Persisted query documents are not stored here: they are Apollo's, with their own bounds and their own store
 * (`graphql/persisted-query-store.ts`).
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
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The admin side: removing a model version's lists after a cutover. */
export interface VersionPurge {
  /**
   * Deletes every list (and lease) of one model version, in batches; resolves with the number of keys removed.
   * User states and order records are kept.
   */
  purgeVersion(patterns: readonly string[], batchSize: number): Promise<number>;
}

/** Everything a driver offers; only the composition root (`app.ts`) and the purge CLI hold a store typed this way. */
export type StoreDriver = CacheStore & OrderLedger & VersionPurge;
