import type { RankedItem } from '../model/model.js';

/**
 * What the cache holds for one user and model version.
 *
 * Times are epoch milliseconds. `freshUntil` is the logical (soft) expiry: past it the list is STALE but may still be
 * served during its grace period, which ends at `staleUntil`, the physical expiry the store enforces.
 */
export interface CacheEntry {
  readonly modelVersion: string;
  readonly generatedAt: number;
  readonly freshUntil: number;
  readonly staleUntil: number;
  /** How long the model took to compute this list: XFetch's delta for early refresh. */
  readonly computeMs: number;
  readonly items: readonly RankedItem[];
}

/** A purchase remembered in the user's state, so bought items are filtered out of every served list. */
export interface RecentPurchase {
  readonly itemId: string;
  readonly at: number;
}

/**
 * Per-user state, independent of the model version. `generation` is bumped by every purchase: a recompute
 * remembers the generation it read and may only write back while it is unchanged (see `recs/recommendation-service.ts`).
 */
export interface UserState {
  readonly generation: number;
  readonly bought: readonly RecentPurchase[];
}

export const EMPTY_USER_STATE: UserState = { generation: 0, bought: [] };
