import { describe, expect, it } from 'vitest';
import {
  MEMORY,
  ageAtDivergence,
  expectedDivergence,
  observeDrift,
  observedRate,
} from '../../src/cache/drift-estimator.js';
import type { DriftEstimate } from '../../src/cache/drift-estimator.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A fake clock and a user whose lists drift at a known hazard: each recompute observes 1 - exp(-rate · age). */
function replay(ratePerHour: number, ages: readonly number[], start?: DriftEstimate): DriftEstimate | undefined {
  let estimate = start;
  let clock = 1_700_000_000_000;
  for (const age of ages) {
    const written = clock;
    clock += age;
    estimate = observeDrift(estimate, 1 - Math.exp(-ratePerHour * ((clock - written) / HOUR)), clock - written);
  }
  return estimate;
}

describe('drift estimator', () => {
  it('reads one observation as the hazard rate that explains it', () => {
    expect(observedRate(1 - Math.exp(-1), HOUR)).toBeCloseTo(1, 10);
    expect(observedRate(0, 10 * MINUTE)).toBe(0);
    expect(observeDrift(undefined, 1 - Math.exp(-0.5), 2 * HOUR)).toEqual({ ratePerHour: 0.25, samples: 1 });
  });

  it('recovers a steady rate from observations at any ages, and predicts the divergence it was fed', () => {
    // Ages short enough that no observation saturates (see the next tests for what happens when one does).
    for (const rate of [0.05, 0.4, 2]) {
      const estimate = replay(rate, [5 * MINUTE, 20 * MINUTE, HOUR, 7 * MINUTE, 40 * MINUTE]);
      expect(estimate?.ratePerHour).toBeCloseTo(rate, 3);
      expect(estimate?.samples).toBe(5);
      expect(expectedDivergence(estimate as DriftEstimate, 30 * MINUTE)).toBeCloseTo(1 - Math.exp(-rate / 2), 3);
    }
  });

  it('follows a user whose pace changes within a few recomputes, and forgets the old pace', () => {
    const slow = replay(
      0.1,
      Array.from({ length: 40 }, () => 30 * MINUTE),
    );
    const after3 = replay(2, [10 * MINUTE, 10 * MINUTE, 10 * MINUTE], slow) as DriftEstimate;
    const after30 = replay(
      2,
      Array.from({ length: 30 }, () => 10 * MINUTE),
      slow,
    ) as DriftEstimate;
    expect(after3.ratePerHour).toBeGreaterThan(0.5);
    expect(after30.ratePerHour).toBeGreaterThan(1.9);
    expect(after30.ratePerHour).toBeLessThanOrEqual(2);
    expect(after30.samples).toBe(70);
    expect(MEMORY).toBeLessThan(30);
  });

  it('bounds a saturated observation instead of reading it as infinitely fast', () => {
    const estimate = observeDrift(undefined, 1, MINUTE) as DriftEstimate;
    expect(Number.isFinite(estimate.ratePerHour)).toBe(true);
    expect(estimate.ratePerHour).toBeCloseTo(-Math.log(0.05) * 60, 3);
  });

  it('ignores observations without a positive age or a finite divergence', () => {
    const estimate: DriftEstimate = { ratePerHour: 0.3, samples: 4 };
    expect(observeDrift(estimate, 0.5, 0)).toBe(estimate);
    expect(observeDrift(estimate, 0.5, -5)).toBe(estimate);
    expect(observeDrift(estimate, Number.NaN, MINUTE)).toBe(estimate);
    expect(observeDrift(undefined, 0.5, 0)).toBeUndefined();
  });

  it('gives the age at which a target divergence is expected, infinite for a user never seen to drift', () => {
    expect(ageAtDivergence({ ratePerHour: 1, samples: 1 }, 1 - Math.exp(-0.5))).toBeCloseTo(HOUR / 2, 3);
    expect(ageAtDivergence({ ratePerHour: 0, samples: 3 }, 0.1)).toBe(Number.POSITIVE_INFINITY);
  });
});
