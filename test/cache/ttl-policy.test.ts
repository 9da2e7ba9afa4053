import { describe, expect, it } from 'vitest';
import { driftBoundedGraceMs, driftTunedTtlMs, freshTtlMs } from '../../src/cache/ttl-policy.js';
import type { DriftTtlPolicy, TtlPolicy } from '../../src/cache/ttl-policy.js';
import { T0, makeState, purchase } from './fixtures.js';

const HOUR = 3_600_000;
const policy: TtlPolicy = {
  baseTtlMs: 600_000,
  minTtlMs: 60_000,
  maxTtlMs: 900_000,
  jitter: 0.1,
  activityWindowMs: HOUR,
};
const noJitter = (): number => 0.5;
const now = T0 + 10 * HOUR;

/** A state with `count` purchases, all `ago` ms before now. */
function buyer(count: number, ago = 60_000) {
  return makeState(
    count,
    Array.from({ length: count }, (_, index) => purchase(`p${index}`, now - ago - index)),
  );
}

describe('freshTtlMs', () => {
  it('gives a dormant user the base TTL', () => {
    expect(freshTtlMs(policy, makeState(0), now, noJitter)).toBe(600_000);
  });

  it('gives active buyers shorter TTLs: base / (1 + purchases in the window)', () => {
    expect(freshTtlMs(policy, buyer(1), now, noJitter)).toBe(300_000);
    expect(freshTtlMs(policy, buyer(2), now, noJitter)).toBe(200_000);
    expect(freshTtlMs(policy, buyer(3), now, noJitter)).toBe(150_000);
  });

  it('clamps to minTtlMs for a very active buyer', () => {
    expect(freshTtlMs(policy, buyer(50), now, noJitter)).toBe(60_000);
  });

  it('clamps to maxTtlMs when the base is above it', () => {
    expect(freshTtlMs({ ...policy, baseTtlMs: 5 * HOUR }, makeState(0), now, noJitter)).toBe(900_000);
  });

  it('counts only purchases inside the activity window (the window start is inside)', () => {
    const old = makeState(3, [purchase('a', now - HOUR - 1), purchase('b', now - 2 * HOUR), purchase('c', T0)]);
    expect(freshTtlMs(policy, old, now, noJitter)).toBe(600_000);
    const edge = makeState(2, [purchase('a', now - HOUR), purchase('b', now - HOUR - 1)]);
    expect(freshTtlMs(policy, edge, now, noJitter)).toBe(300_000);
    const shortWindow = { ...policy, activityWindowMs: 30_000 };
    expect(freshTtlMs(shortWindow, buyer(3, 60_000), now, noJitter)).toBe(600_000);
  });

  it('applies jitter at its extremes: random 0 gives -jitter, random 1 gives +jitter', () => {
    expect(freshTtlMs(policy, makeState(0), now, () => 0)).toBe(540_000);
    expect(freshTtlMs(policy, makeState(0), now, () => 1)).toBe(660_000);
    expect(freshTtlMs(policy, buyer(1), now, () => 0.75)).toBe(315_000);
  });

  it('keeps every jittered TTL within ±jitter of the adaptive TTL, and actually spreads them', () => {
    // An even grid over [0, 1] stands in for the random draws.
    const draws = Array.from({ length: 2_001 }, (_, index) => index / 2_000);
    const ttls = draws.map((draw) => freshTtlMs(policy, buyer(1), now, () => draw));
    expect(ttls.filter((ttl) => ttl < 270_000 || ttl > 330_000 || !Number.isInteger(ttl))).toEqual([]);
    expect(Math.min(...ttls)).toBe(270_000);
    expect(Math.max(...ttls)).toBe(330_000);
    expect(new Set(ttls).size).toBeGreaterThan(1_000);
  });

  it('applies no jitter when jitter is 0', () => {
    for (const random of [0, 0.3, 1]) {
      expect(freshTtlMs({ ...policy, jitter: 0 }, buyer(1), now, () => random)).toBe(300_000);
    }
  });

  it('never returns less than 1 ms', () => {
    const tiny: TtlPolicy = { baseTtlMs: 0, minTtlMs: 0, maxTtlMs: 10, jitter: 1, activityWindowMs: HOUR };
    expect(freshTtlMs(tiny, makeState(0), now, () => 0)).toBe(1);
  });
});

describe('driftTunedTtlMs', () => {
  const drift: DriftTtlPolicy = { ...policy, targetDivergence: 0.1, minDriftTtlMs: 60_000, maxDriftTtlMs: 6 * HOUR };
  // -ln(0.9) / rate hours: the age at which 1 - exp(-rate · age) reaches the target of 0.1.
  const rawAge = (ratePerHour: number): number => (-Math.log(0.9) / ratePerHour) * HOUR;
  const ageAtTarget = (ratePerHour: number): number => Math.round(rawAge(ratePerHour));

  it('gives a user without an estimate exactly the purchase-adaptive TTL', () => {
    for (const random of [0, 0.5, 1]) {
      expect(driftTunedTtlMs(drift, makeState(0), undefined, now, () => random)).toBe(
        freshTtlMs(drift, makeState(0), now, () => random),
      );
      expect(driftTunedTtlMs(drift, buyer(2), undefined, now, () => random)).toBe(
        freshTtlMs(drift, buyer(2), now, () => random),
      );
    }
  });

  it('sets the TTL where the expected divergence reaches the target: slower drift, longer TTL', () => {
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 0.5 }, now, noJitter)).toBe(ageAtTarget(0.5));
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 2 }, now, noJitter)).toBe(ageAtTarget(2));
    expect(ageAtTarget(0.5) / ageAtTarget(2)).toBeCloseTo(4, 4);
    // The expected divergence at that age is the target.
    expect(1 - Math.exp(-0.5 * (ageAtTarget(0.5) / HOUR))).toBeCloseTo(0.1, 6);
  });

  it('follows the target: a looser target gives a longer TTL', () => {
    const loose = driftTunedTtlMs({ ...drift, targetDivergence: 0.3 }, makeState(0), { ratePerHour: 1 }, now, noJitter);
    expect(loose).toBe(Math.round(-Math.log(0.7) * HOUR));
    expect(loose).toBeGreaterThan(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 1 }, now, noJitter));
  });

  it('clamps to the configured bounds, including a user never seen to drift', () => {
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 0 }, now, noJitter)).toBe(6 * HOUR);
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 0.001 }, now, noJitter)).toBe(6 * HOUR);
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 500 }, now, noJitter)).toBe(60_000);
  });

  it('still shortens the TTL of active buyers, whose purchases the estimate cannot see', () => {
    expect(driftTunedTtlMs(drift, buyer(1), { ratePerHour: 0.5 }, now, noJitter)).toBe(Math.round(rawAge(0.5) / 2));
  });

  it('applies the same jitter as the purchase-adaptive policy', () => {
    const base = rawAge(0.5);
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 0.5 }, now, () => 0)).toBe(Math.round(base * 0.9));
    expect(driftTunedTtlMs(drift, makeState(0), { ratePerHour: 0.5 }, now, () => 1)).toBe(Math.round(base * 1.1));
  });
});

describe('driftBoundedGraceMs', () => {
  const grace = HOUR;

  it('keeps the configured grace without a limit or an estimate, or for a user never seen to drift', () => {
    expect(driftBoundedGraceMs(600_000, grace, { ratePerHour: 5 }, undefined)).toBe(grace);
    expect(driftBoundedGraceMs(600_000, grace, undefined, 0.3)).toBe(grace);
    expect(driftBoundedGraceMs(600_000, grace, { ratePerHour: 0 }, 0.3)).toBe(grace);
  });

  it('ends grace where the expected divergence reaches the limit, counted from when the list was computed', () => {
    // rate 2/h, limit 0.3: -ln(0.7) / 2 h ≈ 642 s after the compute, so 582 s past a 60 s TTL.
    expect(driftBoundedGraceMs(60_000, grace, { ratePerHour: 2 }, 0.3)).toBe(
      Math.round((-Math.log(0.7) / 2) * HOUR - 60_000),
    );
  });

  it('never goes below 0 (a list already past the limit when fresh ends) nor above the configured grace', () => {
    expect(driftBoundedGraceMs(600_000, grace, { ratePerHour: 50 }, 0.3)).toBe(0);
    expect(driftBoundedGraceMs(600_000, grace, { ratePerHour: 0.01 }, 0.3)).toBe(grace);
  });
});
