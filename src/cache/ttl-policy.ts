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
  return { baseTtlMs, minTtlMs: Math.min(60_000, baseTtlMs), maxTtlMs: baseTtlMs, jitter: 0.1, activityWindowMs: 24 * 3600 * 1000 };
}
