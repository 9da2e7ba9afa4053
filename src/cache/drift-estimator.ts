/**
 * A per-user estimate of how fast the model's answer for that user moves, learnt for free from recomputes.
 *
 * Every recompute that replaces a list compares the two (RBO distance, `rbo.ts`): a divergence d after the old list
 * aged a is one observation of the user's drift. The model of drift is the simplest one that saturates the way list
 * distances do, a constant hazard of change:
 *
 *   expected divergence after age a:  D(a) = 1 - exp(-rate · a)
 *   one observation's rate:           rate = -ln(1 - d) / a
 *
 * The estimate is a running mean of those rates over the last few observations (an equal-weight mean up to
 * MEMORY observations, then an exponentially weighted one with the same weight for the newest), so it follows a
 * user whose pace changes within a handful of recomputes. It is two small numbers, kept in the cache entry itself
 * (`packed-entry.ts`): it carries from the replaced entry to the new one, and a user whose list lapsed starts again
 * without one.
 */
export interface DriftEstimate {
  /** Estimated drift hazard, per hour: the expected divergence after an hour is `1 - exp(-ratePerHour)`. */
  readonly ratePerHour: number;
  /** Observations behind the estimate (capped at MAX_SAMPLES). */
  readonly samples: number;
}

/** Observations the running mean remembers, in effect. */
export const MEMORY = 8;
/** The count is kept small so the entry stays compact. */
export const MAX_SAMPLES = 255;
/** A divergence at or above this reads as "changed beyond recognition": the rate is bounded instead of infinite. */
const SATURATION = 0.95;
/** Rates are stored to this resolution (per hour) in the entry; the cap keeps a corrupt observation bounded. */
export const RATE_RESOLUTION = 1e-4;
export const MAX_RATE_PER_HOUR = 1_000;
const HOUR_MS = 3_600_000;

/** The rate one observation implies: divergence `divergence` seen after the old list aged `ageMs`. */
export function observedRate(divergence: number, ageMs: number): number {
  const d = Math.min(Math.max(divergence, 0), SATURATION);
  if (d === 0) return 0;
  return Math.min(-Math.log(1 - d) / (ageMs / HOUR_MS), MAX_RATE_PER_HOUR);
}

/**
 * The estimate after one more observation. An observation without a positive age (clocks between replicas, or a
 * list replaced the instant it was written) carries no information and leaves the estimate as it was.
 */
export function observeDrift(
  previous: DriftEstimate | undefined,
  divergence: number,
  ageMs: number,
): DriftEstimate | undefined {
  if (!(ageMs > 0) || !Number.isFinite(divergence)) return previous;
  const rate = observedRate(divergence, ageMs);
  const seen = Math.min(previous?.samples ?? 0, MEMORY);
  const mean = previous === undefined ? rate : (previous.ratePerHour * seen + rate) / (seen + 1);
  return { ratePerHour: quantiseRate(mean), samples: Math.min((previous?.samples ?? 0) + 1, MAX_SAMPLES) };
}

/** The divergence the estimate expects after a list has aged `ageMs`. */
export function expectedDivergence(estimate: DriftEstimate, ageMs: number): number {
  return 1 - Math.exp(-estimate.ratePerHour * (ageMs / HOUR_MS));
}

/**
 * How long a list may age before its expected divergence reaches `target`: `-ln(1 - target) / rate`. Infinite for a
 * user who has not been seen to drift at all.
 */
export function ageAtDivergence(estimate: DriftEstimate, target: number): number {
  if (estimate.ratePerHour <= 0) return Number.POSITIVE_INFINITY;
  return (-Math.log(1 - target) / estimate.ratePerHour) * HOUR_MS;
}

/** Rounds a rate to what the entry stores, so an estimate read back equals the one written. */
export function quantiseRate(ratePerHour: number): number {
  return Math.round(Math.min(Math.max(ratePerHour, 0), MAX_RATE_PER_HOUR) / RATE_RESOLUTION) * RATE_RESOLUTION;
}
