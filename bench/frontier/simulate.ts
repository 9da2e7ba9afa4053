/**
 * Replays the population's reads through the gateway's freshness rules for one TTL policy: fresh lists are served
 * from cache, lists past their TTL but within grace are served STALE while a background recompute replaces them,
 * expired ones are computed before answering, and a purchase invalidates the list. TTLs and drift estimates come from
 * the production code (`DriftTracker`, `freshTtlMs`, `driftTunedTtlMs`); only the I/O is left out.
 */
import type { CacheEntry, RecentPurchase, UserState } from '../../src/cache/cache-entry.js';
import type { DriftTtlPolicy } from '../../src/cache/ttl-policy.js';
import { DriftTracker, MEASURE_DEPTH } from '../../src/freshness/drift-tracker.js';
import { DEFAULT_RBO_P, rboDistance } from '../../src/freshness/rbo.js';
import { mulberry32 } from '../../src/model/prng.js';
import { HOUR_MS, START_MS } from './population.js';
import type { SimUser } from './population.js';

export interface SimPolicy {
  readonly name: string;
  /** The knob's value, as shown in the table (e.g. `600 s`, `target 0.1`). */
  readonly knob: string;
  readonly policy: DriftTtlPolicy;
  /** Drift-tuned TTLs; off: the purchase-adaptive (or, with min = max, fixed) TTL. */
  readonly tuning: boolean;
  /** A grace of its own instead of the simulation's (e.g. 0: never serve stale). */
  readonly graceMs?: number;
}

export interface SimResult {
  readonly policy: SimPolicy;
  readonly computesPerUserHour: number;
  readonly meanDivergence: number;
  readonly p95Divergence: number;
  /** Share of served lists within `target` of the model's current answer. */
  readonly withinTarget: number;
  readonly servedFromCache: number;
  /** Share of all served divergence that came from lists served STALE (past their fresh TTL). */
  readonly staleShareOfDivergence: number;
}

export interface SimOptions {
  readonly graceMs: number;
  /** Reads and computes before this many hours only warm the cache; they are not counted. */
  readonly warmupHours: number;
  readonly hours: number;
  readonly target: number;
}

export function simulate(users: readonly SimUser[], policy: SimPolicy, options: SimOptions): SimResult {
  const tracker = new DriftTracker({ policy: policy.policy, tuning: policy.tuning, graceMs: options.graceMs });
  const random = mulberry32(0x5eed);
  const measureFrom = START_MS + options.warmupHours * HOUR_MS;
  let computes = 0;
  let cached = 0;
  let staleDivergence = 0;
  const divergences: number[] = [];

  for (const user of users) {
    let entry: (CacheEntry & { readonly physicalUntil: number }) | undefined;
    let bought: RecentPurchase[] = [];
    let generation = 0;
    for (const read of user.reads) {
      const now = read.atMs;
      const counted = now >= measureFrom;
      const state: UserState = { generation, bought };
      const compute = (previous: CacheEntry | undefined): CacheEntry & { readonly physicalUntil: number } => {
        if (counted) computes++;
        const items = read.ids.map((itemId) => ({ itemId, score: 0 }));
        const verdict = tracker.onRecompute(previous, 'v1', items, state, now, random);
        const graceMs = policy.graceMs ?? verdict.graceMs;
        return {
          modelVersion: 'v1',
          generatedAt: now,
          freshUntil: now + verdict.freshMs,
          staleUntil: now + verdict.freshMs + graceMs,
          physicalUntil: now + verdict.freshMs + options.graceMs,
          computeMs: 1,
          items,
          ...(verdict.drift === undefined ? {} : { drift: verdict.drift }),
        };
      };

      let divergence = 0;
      if (entry !== undefined && now < entry.staleUntil) {
        // CACHE or STALE: what the user sees is the cached list; the model would answer `read.ids` now.
        divergence = rboDistance(
          entry.items.map((item) => item.itemId),
          read.ids,
          MEASURE_DEPTH,
          DEFAULT_RBO_P,
        );
        if (counted) cached++;
        if (now >= entry.freshUntil) {
          if (counted) staleDivergence += divergence;
          entry = compute(entry);
        }
      } else {
        // Expired or never cached: computed before answering; a lapsed list takes its estimate with it, a list past
        // its drift-bounded grace but still stored does not.
        entry = compute(entry !== undefined && now < entry.physicalUntil ? entry : undefined);
      }
      if (counted) divergences.push(divergence);

      if (read.bought) {
        // A purchase invalidates the list (and, with it, the estimate it carried) and is remembered for a day.
        bought = [
          ...bought.filter((purchase) => purchase.at > now - 24 * HOUR_MS),
          { itemId: read.ids[0] as string, at: now },
        ];
        generation++;
        entry = undefined;
      }
    }
  }

  const sorted = Float64Array.from(divergences).sort();
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  const p95 = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(0.95 * sorted.length) - 1))] ?? 0;
  const within = sorted.filter((value) => value <= options.target).length / Math.max(1, sorted.length);
  return {
    policy,
    computesPerUserHour: computes / (users.length * (options.hours - options.warmupHours)),
    meanDivergence: mean,
    p95Divergence: p95,
    withinTarget: within,
    servedFromCache: cached / Math.max(1, sorted.length),
    staleShareOfDivergence: mean > 0 ? staleDivergence / (mean * sorted.length) : 0,
  };
}
