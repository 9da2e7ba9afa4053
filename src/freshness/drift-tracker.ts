import type { CacheEntry, UserState } from '../cache/cache-entry.js';
import { driftBoundedGraceMs, driftTunedTtlMs, freshTtlMs } from '../cache/ttl-policy.js';
import type { DriftTtlPolicy } from '../cache/ttl-policy.js';
import type { RankedItem } from '../model/model.js';
import { observeDrift } from '../cache/drift-estimator.js';
import type { DriftEstimate } from '../cache/drift-estimator.js';
import { DEFAULT_RBO_P, rboDistance, topKOverlap } from './rbo.js';

/** How lists are compared: RBO over the top MEASURE_DEPTH (p = 0.9 puts 86% of the weight on the top 10). */
export const MEASURE_DEPTH = 20;
export const TOP_K = 10;

/** What the tracker reports: one observation per recompute that replaced a list. */
export interface DriftTelemetry {
  recomputeDivergence(divergence: number, topKOverlap: number): void;
}

export interface DriftTrackerOptions {
  readonly policy: DriftTtlPolicy;
  /** Off: the estimate is still learnt and carried, but every TTL is the purchase-adaptive one. */
  readonly tuning: boolean;
  /** The configured grace (CACHE_GRACE_SECONDS); the policy's `staleLimit` may cut it short per user. */
  readonly graceMs: number;
  readonly telemetry?: DriftTelemetry;
}

/** The new entry's drift estimate and fresh TTL. */
export interface RecomputeVerdict {
  readonly drift: DriftEstimate | undefined;
  readonly freshMs: number;
  /** How long past `freshMs` the list may be served STALE. */
  readonly graceMs: number;
}

/**
 * Drift measured for free at every recompute: the list a recompute produced is compared with the list it replaces
 * (same user, same model version), the divergence over the old list's age updates the user's estimate, and the
 * estimate sets the new list's TTL (`driftTunedTtlMs`). No I/O: the old entry is what the read already fetched.
 */
export class DriftTracker {
  readonly #options: DriftTrackerOptions;

  constructor(options: DriftTrackerOptions) {
    this.#options = options;
  }

  onRecompute(
    previous: CacheEntry | undefined,
    modelVersion: string,
    items: readonly RankedItem[],
    state: UserState,
    now: number,
    random: () => number,
  ): RecomputeVerdict {
    const drift = this.#observe(previous, modelVersion, items, now);
    const { policy, tuning } = this.#options;
    const freshMs = tuning
      ? driftTunedTtlMs(policy, state, drift, now, random)
      : freshTtlMs(policy, state, now, random);
    const graceMs = tuning
      ? driftBoundedGraceMs(freshMs, this.#options.graceMs, drift, policy.staleLimit)
      : this.#options.graceMs;
    return { drift, freshMs, graceMs };
  }

  #observe(
    previous: CacheEntry | undefined,
    modelVersion: string,
    items: readonly RankedItem[],
    now: number,
  ): DriftEstimate | undefined {
    // Lists of another version differ because the model was retrained, not because the user moved.
    if (previous === undefined || previous.modelVersion !== modelVersion) return undefined;
    const before = previous.items.slice(0, MEASURE_DEPTH).map((item) => item.itemId);
    const after = items.slice(0, MEASURE_DEPTH).map((item) => item.itemId);
    const divergence = rboDistance(before, after, MEASURE_DEPTH, DEFAULT_RBO_P);
    this.#options.telemetry?.recomputeDivergence(divergence, topKOverlap(before, after, TOP_K));
    return observeDrift(previous.drift, divergence, now - previous.generatedAt);
  }
}
