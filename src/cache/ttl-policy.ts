import type { UserState } from './cache-entry.js';

/**
 * How long a freshly computed list stays fresh, per user. The seed's trade-off made explicit: every step toward
 * fresher answers spends recomputes, so the TTL follows how fast a user's needs move.
 *
 *   activity  = purchases in the last `activityWindowMs`
 *   ttl       = clamp(baseTtl / (1 + activity), minTtl, maxTtl)
 *   jittered  = ttl * (1 + jitter * (2 * rand - 1))
 *
 * An active buyer gets short TTLs (their list moves), a dormant user the base TTL. The jitter (±10% by default)
 * keeps entries written together, e.g. after a deploy, from expiring together and stampeding the model.
 */
export interface TtlPolicy {
  readonly baseTtlMs: number;
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /** Fraction of the TTL added or removed at random, 0 to 1. */
  readonly jitter: number;
  readonly activityWindowMs: number;
}

export function freshTtlMs(policy: TtlPolicy, state: UserState, now: number, random: () => number): number {
  const since = now - policy.activityWindowMs;
  const activity = state.bought.filter((purchase) => purchase.at >= since).length;
  const adaptive = clamp(policy.baseTtlMs / (1 + activity), policy.minTtlMs, policy.maxTtlMs);
  const jittered = adaptive * (1 + policy.jitter * (2 * random() - 1));
  return Math.max(1, Math.round(jittered));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/**
 * The gateway's policy for a base TTL: at least a minute (or the base, if shorter), at most the base, ±10% jitter,
 * activity counted over the last day. One definition, so lists written by warm-up and by reads age alike.
 */
export function defaultTtlPolicy(baseTtlSeconds: number): TtlPolicy {
  const baseTtlMs = baseTtlSeconds * 1000;
  return {
    baseTtlMs,
    minTtlMs: Math.min(60_000, baseTtlMs),
    maxTtlMs: baseTtlMs,
    jitter: 0.1,
    activityWindowMs: 24 * 3600 * 1000,
  };
}

/**
 * The drift-tuned policy: today's policy, plus a target for how far a list may drift from the model's answer before
 * it expires (an RBO distance, `freshness/rbo.ts`) and the bounds that TTL is clamped to.
 */
export interface DriftTtlPolicy extends TtlPolicy {
  /** Expected divergence a list may reach by the end of its fresh TTL (FRESHNESS_TARGET), in (0, 1). */
  readonly targetDivergence: number;
  readonly minDriftTtlMs: number;
  readonly maxDriftTtlMs: number;
  /**
   * Drift-bounded grace (FRESHNESS_STALE_LIMIT), off when undefined: a list past its TTL is served STALE only while
   * its expected divergence stays under this; later, a read computes before answering (see `driftBoundedGraceMs`).
   */
  readonly staleLimit?: number;
}

/**
 * The fresh TTL that keeps a list's expected divergence at expiry under the target, from the user's drift estimate
 * (`cache/drift-estimator.ts`: divergence after age a is 1 - exp(-rate · a)):
 *
 *   drift     = -ln(1 - target) / rate                   the age at which the expected divergence reaches the target
 *   ttl       = clamp(drift / (1 + activity), minDriftTtl, maxDriftTtl)
 *   jittered  = ttl * (1 + jitter * (2 * rand - 1))
 *
 * Purchases still shorten it as in `freshTtlMs`: a purchase deletes the list it would have been compared with, so the
 * estimate never sees the change purchases cause. A user without an estimate (new, or whose list lapsed) gets
 * `freshTtlMs` exactly. Pure, like `freshTtlMs`: the estimate and the clock are arguments.
 */
export function driftTunedTtlMs(
  policy: DriftTtlPolicy,
  state: UserState,
  estimate: { readonly ratePerHour: number } | undefined,
  now: number,
  random: () => number,
): number {
  if (estimate === undefined) return freshTtlMs(policy, state, now, random);
  const driftMs =
    estimate.ratePerHour > 0
      ? (-Math.log(1 - policy.targetDivergence) / estimate.ratePerHour) * 3_600_000
      : Number.POSITIVE_INFINITY;
  const since = now - policy.activityWindowMs;
  const activity = state.bought.filter((purchase) => purchase.at >= since).length;
  const tuned = clamp(driftMs / (1 + activity), policy.minDriftTtlMs, policy.maxDriftTtlMs);
  const jittered = tuned * (1 + policy.jitter * (2 * random() - 1));
  return Math.max(1, Math.round(jittered));
}

/**
 * How long past its fresh TTL a list may be served STALE: the configured grace, cut short for a user whose lists
 * drift fast, at the age where the expected divergence reaches `limit`:
 *
 *   grace = clamp(-ln(1 - limit) / rate - freshTtl, 0, graceMs)
 *
 * Stale-while-revalidate trades correctness for latency; for a user whose list is an hour old and half replaced, the
 * trade is a bad one, and a read that computes is worth its wait. Only the logical end of grace moves: the store keeps
 * the entry for the full grace, so its drift estimate still reaches the recompute that replaces it. Without an
 * estimate (or limit), the configured grace. Pure.
 */
export function driftBoundedGraceMs(
  freshMs: number,
  graceMs: number,
  estimate: { readonly ratePerHour: number } | undefined,
  limit: number | undefined,
): number {
  if (limit === undefined || estimate === undefined || estimate.ratePerHour <= 0) return graceMs;
  const untilLimitMs = (-Math.log(1 - limit) / estimate.ratePerHour) * 3_600_000;
  return Math.round(clamp(untilLimitMs - freshMs, 0, graceMs));
}
