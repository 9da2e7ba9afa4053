import { describe, expect, it } from 'vitest';
import { rboDistance, rboExt, rboMin, topKOverlap, topWeight } from '../../src/freshness/rbo.js';

const letters = (text: string): string[] => [...text];

/**
 * RBO by its definition (Webber et al., equation 7), summed far enough that the tail is below 1e-12, over lists
 * extended the way RBO_ext assumes: below the last known depth the agreement stays what it was there. An independent
 * check of the closed form in rbo.ts, for lists of equal length.
 */
function rboByDefinition(first: readonly string[], second: readonly string[], p: number): number {
  const k = first.length;
  const agreement: number[] = [];
  for (let d = 1; d <= k; d++) {
    const top = new Set(second.slice(0, d));
    agreement.push(first.slice(0, d).filter((id) => top.has(id)).length / d);
  }
  const last = agreement[k - 1] as number;
  let sum = 0;
  for (let d = 1; d <= 5_000; d++) sum += p ** (d - 1) * (d <= k ? (agreement[d - 1] as number) : last);
  return (1 - p) * sum;
}

describe('rank-biased overlap (Webber, Moffat and Zobel, TOIS 2010)', () => {
  it('puts 86% of the weight on the top 10 ranks at p = 0.9 (the paper, section 4.2)', () => {
    expect(topWeight(0.9, 10)).toBeCloseTo(0.8556, 4);
    expect(topWeight(0.9, 1)).toBeCloseTo(1 - 0.9 ** 0 + (0.1 / 0.9) * Math.log(10), 10);
  });

  it('is 1 for identical rankings and 0 for disjoint ones, at any p', () => {
    for (const p of [0.5, 0.9, 0.98]) {
      expect(rboExt(letters('abcdefg'), letters('abcdefg'), p)).toBeCloseTo(1, 12);
      expect(rboExt(letters('abcd'), letters('wxyz'), p)).toBe(0);
      // RBO_min assumes nothing below the prefix agrees, so even identical prefixes fall short of 1.
      expect(rboMin(letters('abcdefg'), letters('abcdefg'), p)).toBeLessThan(1);
    }
    expect(rboExt([], [])).toBe(1);
    expect(rboExt(['a'], [])).toBe(0);
  });

  it('gives p for two items swapped at the top (A_1 = 0, then full agreement)', () => {
    for (const p of [0.5, 0.8, 0.9]) expect(rboExt(['a', 'b'], ['b', 'a'], p)).toBeCloseTo(p, 12);
  });

  it('matches the definition summed directly, for equal-length lists (equation 32 against equation 7)', () => {
    const cases: Array<[string, string]> = [
      ['abcdefghij', 'abcdefghij'],
      ['abcdefghij', 'bacdefghij'],
      ['abcdefghij', 'jihgfedcba'],
      ['abcdefghij', 'abcdeklmno'],
      ['abcdefghij', 'klmnoabcde'],
      ['abcdefghij', 'axbyczdwev'],
    ];
    for (const p of [0.5, 0.9, 0.95]) {
      for (const [first, second] of cases) {
        expect(rboExt(letters(first), letters(second), p)).toBeCloseTo(
          rboByDefinition(letters(first), letters(second), p),
          9,
        );
      }
    }
  });

  it('is symmetric and weighs a change at the top more than the same change at the bottom', () => {
    const base = letters('abcdefghij');
    expect(rboExt(base, letters('kbcdefghij'))).toBeCloseTo(rboExt(letters('kbcdefghij'), base), 12);
    expect(rboExt(base, letters('kbcdefghij'))).toBeLessThan(rboExt(base, letters('abcdefghik')));
  });

  it('keeps RBO_ext between RBO_min and 1, and RBO_min at its closed form for disjoint prefixes (0)', () => {
    const pairs: Array<[string, string]> = [
      ['abcdefghij', 'bacdefghij'],
      ['abcdefghij', 'abcdeklmno'],
      ['abcdefghij', 'klmnoabcde'],
    ];
    for (const [first, second] of pairs) {
      const min = rboMin(letters(first), letters(second), 0.9);
      const ext = rboExt(letters(first), letters(second), 0.9);
      expect(min).toBeLessThanOrEqual(ext + 1e-12);
      expect(ext).toBeLessThanOrEqual(1);
    }
    expect(rboMin(letters('abc'), letters('xyz'), 0.9)).toBe(0);
  });

  it('extrapolates uneven lists by the agreement at the end of the shorter one (equation 30)', () => {
    // The short list agrees fully with the long one's prefix: extrapolation says they agree all the way down.
    expect(rboExt(['a'], letters('abc'), 0.9)).toBeCloseTo(1, 12);
    // Equation 30 by hand for S = [a, b], L = [c, a, d], p = 0.5: X = 0, 1, 1 and X_s = 1.
    const p = 0.5;
    const sum = (0 / 1) * p + (1 / 2) * p ** 2 + (1 / 3) * p ** 3 + ((1 * (3 - 2)) / (2 * 3)) * p ** 3;
    expect(rboExt(['a', 'b'], ['c', 'a', 'd'], p)).toBeCloseTo(
      ((1 - p) / p) * sum + ((1 - 1) / 3 + 1 / 2) * p ** 3,
      12,
    );
    expect(rboExt(['c', 'a', 'd'], ['a', 'b'], p)).toBeCloseTo(rboExt(['a', 'b'], ['c', 'a', 'd'], p), 12);
  });

  it('rejects a persistence outside (0, 1)', () => {
    for (const p of [0, 1, -0.5, Number.NaN]) expect(() => rboExt(['a'], ['a'], p)).toThrow(/strictly between 0 and 1/);
  });
});

describe('rboDistance and topKOverlap', () => {
  it('compares only the top `depth` ranks', () => {
    expect(rboDistance(letters('abcxyz'), letters('abcuvw'), 3)).toBeCloseTo(0, 12);
    expect(rboDistance(letters('abcxyz'), letters('abcuvw'), 6)).toBeGreaterThan(0);
    expect(rboDistance(letters('abc'), letters('xyz'), 3)).toBe(1);
  });

  it('counts shared items in the top k, ignoring their order', () => {
    expect(topKOverlap(letters('abcd'), letters('dcba'), 4)).toBe(1);
    expect(topKOverlap(letters('abcd'), letters('abxy'), 4)).toBe(0.5);
    expect(topKOverlap(letters('abcd'), letters('abxy'), 2)).toBe(1);
    expect(topKOverlap([], [], 10)).toBe(1);
  });
});
