import { describe, expect, it } from 'vitest';
import { classify, shouldRefreshEarly } from '../../src/cache/freshness.js';
import { T0, makeEntry } from './fixtures.js';

const FRESH_UNTIL = T0 + 60_000;
const STALE_UNTIL = T0 + 120_000;
const entry = makeEntry({ generatedAt: T0, freshUntil: FRESH_UNTIL, staleUntil: STALE_UNTIL, computeMs: 100 });

const fixed = (value: number) => (): number => value;

describe('classify', () => {
  it('calls a missing entry expired', () => {
    expect(classify(undefined, T0)).toBe('expired');
  });

  it('is fresh from generation up to just before freshUntil', () => {
    expect(classify(entry, T0)).toBe('fresh');
    expect(classify(entry, FRESH_UNTIL - 1)).toBe('fresh');
  });

  it('is stale from freshUntil (inclusive) to just before staleUntil', () => {
    expect(classify(entry, FRESH_UNTIL)).toBe('stale');
    expect(classify(entry, FRESH_UNTIL + 1)).toBe('stale');
    expect(classify(entry, STALE_UNTIL - 1)).toBe('stale');
  });

  it('is expired from staleUntil (inclusive) on', () => {
    expect(classify(entry, STALE_UNTIL)).toBe('expired');
    expect(classify(entry, STALE_UNTIL + 3_600_000)).toBe('expired');
  });

  it('has no stale phase when there is no grace (freshUntil = staleUntil)', () => {
    const noGrace = makeEntry({ freshUntil: FRESH_UNTIL, staleUntil: FRESH_UNTIL });
    expect(classify(noGrace, FRESH_UNTIL - 1)).toBe('fresh');
    expect(classify(noGrace, FRESH_UNTIL)).toBe('expired');
  });
});

describe('shouldRefreshEarly', () => {
  // With delta = computeMs = 100 and beta = 1, refresh happens when freshUntil - now <= -100 * ln(random).
  const randoms = [1e-6, 0.01, 0.1, 0.5, 0.9, 1];

  it('never refreshes far from expiry, whatever the random draw', () => {
    for (const random of randoms) {
      expect(shouldRefreshEarly(entry, FRESH_UNTIL - 30_000, 1, fixed(random))).toBe(false);
    }
  });

  it('always refreshes at and past expiry, even with the largest draw', () => {
    for (const random of randoms) {
      expect(shouldRefreshEarly(entry, FRESH_UNTIL, 1, fixed(random))).toBe(true);
      expect(shouldRefreshEarly(entry, FRESH_UNTIL + 5, 1, fixed(random))).toBe(true);
    }
  });

  it('is switched off by beta 0 (or below), even at expiry', () => {
    expect(shouldRefreshEarly(entry, FRESH_UNTIL, 0, fixed(1e-6))).toBe(false);
    expect(shouldRefreshEarly(entry, FRESH_UNTIL + 10_000, 0, fixed(0.5))).toBe(false);
    expect(shouldRefreshEarly(entry, FRESH_UNTIL, -1, fixed(0.5))).toBe(false);
  });

  it('follows the XFetch threshold exactly for a fixed draw', () => {
    // -100 * ln(0.5) = 69.3 ms before expiry.
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 69, 1, fixed(0.5))).toBe(true);
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 70, 1, fixed(0.5))).toBe(false);
    // beta scales the window: beta 2 doubles it.
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 138, 2, fixed(0.5))).toBe(true);
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 139, 2, fixed(0.5))).toBe(false);
  });

  it('refreshes earlier for a list that takes longer to compute', () => {
    const slow = makeEntry({ freshUntil: FRESH_UNTIL, staleUntil: STALE_UNTIL, computeMs: 1_000 });
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 500, 1, fixed(0.5))).toBe(false);
    expect(shouldRefreshEarly(slow, FRESH_UNTIL - 500, 1, fixed(0.5))).toBe(true);
  });

  it('treats a compute time of 0 as 1 ms rather than switching itself off', () => {
    const instant = makeEntry({ freshUntil: FRESH_UNTIL, staleUntil: STALE_UNTIL, computeMs: 0 });
    // -1 * ln(0.01) = 4.6 ms.
    expect(shouldRefreshEarly(instant, FRESH_UNTIL - 4, 1, fixed(0.01))).toBe(true);
    expect(shouldRefreshEarly(instant, FRESH_UNTIL - 5, 1, fixed(0.01))).toBe(false);
  });

  it('survives a draw of exactly 0 (no -Infinity: it does not refresh every entry at once)', () => {
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 1_000_000, 1, fixed(0))).toBe(false);
    expect(shouldRefreshEarly(entry, FRESH_UNTIL - 1_000, 1, fixed(0))).toBe(true);
  });

  it('gets more likely as expiry nears, as exp(-gap / (delta * beta))', () => {
    // An even grid over (0, 1] stands in for the random draw: the share of draws that refresh is the probability.
    const grid = Array.from({ length: 10_000 }, (_, index) => (index + 1) / 10_000);
    const probability = (gapMs: number): number =>
      grid.filter((random) => shouldRefreshEarly(entry, FRESH_UNTIL - gapMs, 1, fixed(random))).length / grid.length;

    const gaps = [1_000, 400, 200, 100, 50, 10, 0];
    const probabilities = gaps.map(probability);
    for (let index = 1; index < probabilities.length; index += 1) {
      expect(probabilities[index]).toBeGreaterThan(probabilities[index - 1] ?? 1);
    }
    expect(probabilities[0]).toBeLessThan(0.001);
    expect(probabilities.at(-1)).toBe(1);
    for (const [index, gap] of gaps.entries()) {
      expect(probabilities[index]).toBeCloseTo(Math.exp(-gap / 100), 3);
    }
  });
});
