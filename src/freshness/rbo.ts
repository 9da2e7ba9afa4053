/**
 * Rank-biased overlap (RBO): Webber, Moffat and Zobel, "A Similarity Measure for Indefinite Rankings", ACM TOIS 28(4),
 * 2010. Pure functions over ranked id lists, best first, without duplicates.
 *
 * Why RBO and not Kendall's tau or plain overlap: a recommendation list is a prefix of an indefinite ranking (the
 * model ranks the whole catalogue; we keep the top few), the two lists compared need not hold the same items, and a
 * change at rank 1 matters more to a user than one at rank 40. RBO handles all three: it averages the overlap of the
 * two prefixes at every depth d, weighted geometrically by p^(d-1), so `p` says how top-heavy the comparison is.
 *
 *   agreement at depth d:  A_d = X_d / d,   X_d = |S[:d] ∩ T[:d]|
 *   RBO = (1 - p) · Σ_{d≥1} p^(d-1) · A_d
 *
 * Only prefixes are known, so this module gives the paper's extrapolated value RBO_ext (its equation 30; equation
 * 32 for lists of equal length), which assumes the agreement seen at the last known depth continues below it, and
 * the lower bound RBO_min (equation 11). 1 means identical rankings, 0 disjoint ones; `1 - RBO_ext` is the
 * divergence this gateway reports.
 */

/** Webber et al.'s example choice: with p = 0.9 the top 10 ranks carry about 86% of the weight. */
export const DEFAULT_RBO_P = 0.9;

/**
 * Extrapolated RBO of two prefixes (equation 30). Lists of different lengths are allowed: the shorter one is taken
 * to agree with the longer one below its end as much as it does at its end. Two empty lists are identical (1).
 */
export function rboExt(first: readonly string[], second: readonly string[], p: number = DEFAULT_RBO_P): number {
  checkP(p);
  const [short, long] = first.length <= second.length ? [first, second] : [second, first];
  const s = short.length;
  const l = long.length;
  if (l === 0) return 1;
  if (s === 0) return 0;

  const overlaps = overlapByDepth(short, long);
  const xs = overlaps[s - 1] as number;
  const xl = overlaps[l - 1] as number;
  let sum = 0;
  let weight = 1;
  for (let d = 1; d <= l; d++) {
    weight *= p;
    sum += ((overlaps[d - 1] as number) / d) * weight;
    if (d > s) sum += ((xs * (d - s)) / (s * d)) * weight;
  }
  return clampUnit(((1 - p) / p) * sum + ((xl - xs) / l + xs / s) * weight);
}

/**
 * RBO_min (equation 11) of two prefixes of equal length k: the value if the rankings never agree below depth k, the
 * lowest RBO the full rankings can have. Lists of unequal length are cut to the shorter one.
 */
export function rboMin(first: readonly string[], second: readonly string[], p: number = DEFAULT_RBO_P): number {
  checkP(p);
  const k = Math.min(first.length, second.length);
  if (k === 0) return first.length === second.length ? 1 : 0;
  const overlaps = overlapByDepth(first.slice(0, k), second.slice(0, k));
  const xk = overlaps[k - 1] as number;
  let sum = 0;
  let weight = 1;
  for (let d = 1; d <= k; d++) {
    weight *= p;
    sum += (((overlaps[d - 1] as number) - xk) / d) * weight;
  }
  return clampUnit(((1 - p) / p) * (sum - xk * Math.log(1 - p)));
}

/** `1 - RBO_ext` over the top `depth` of each list: 0 for the same ranking, 1 for rankings with nothing in common. */
export function rboDistance(
  first: readonly string[],
  second: readonly string[],
  depth: number,
  p: number = DEFAULT_RBO_P,
): number {
  return 1 - rboExt(first.slice(0, depth), second.slice(0, depth), p);
}

/** Share of the top `k` of `first` that is also in the top `k` of `second` (order ignored), from 0 to 1. */
export function topKOverlap(first: readonly string[], second: readonly string[], k: number): number {
  const depth = Math.min(k, first.length, second.length);
  if (depth === 0) return first.length === second.length ? 1 : 0;
  const top = new Set(second.slice(0, depth));
  let shared = 0;
  for (let index = 0; index < depth; index++) if (top.has(first[index] as string)) shared++;
  return shared / depth;
}

/**
 * The share of RBO's total weight that falls on ranks 1 to d (Webber et al., equation 21): how top-heavy a `p` is.
 * `topWeight(0.9, 10)` is about 0.86.
 */
export function topWeight(p: number, d: number): number {
  checkP(p);
  let tail = 0;
  let power = 1;
  for (let i = 1; i < d; i++) {
    power *= p;
    tail += power / i;
  }
  return 1 - p ** (d - 1) + ((1 - p) / p) * d * (Math.log(1 / (1 - p)) - tail);
}

// Private helpers.

/**
 * X_d for d = 1..long.length: the overlap of the short list's prefix (cut at its end) with the long list's prefix.
 * One pass with two sets, so comparing two 100-item lists is a few microseconds.
 */
function overlapByDepth(short: readonly string[], long: readonly string[]): Int32Array {
  const overlaps = new Int32Array(long.length);
  const seenShort = new Set<string>();
  const seenLong = new Set<string>();
  let overlap = 0;
  for (let d = 0; d < long.length; d++) {
    const fromLong = long[d] as string;
    if (d < short.length) {
      const fromShort = short[d] as string;
      if (fromShort === fromLong) overlap++;
      else {
        if (seenLong.has(fromShort)) overlap++;
        if (seenShort.has(fromLong)) overlap++;
      }
      seenShort.add(fromShort);
    } else if (seenShort.has(fromLong)) {
      overlap++;
    }
    seenLong.add(fromLong);
    overlaps[d] = overlap;
  }
  return overlaps;
}

function checkP(p: number): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`RBO's persistence p must be strictly between 0 and 1, but got: ${p}`);
}

/** Floating-point sums can land a hair outside [0, 1] for identical or disjoint lists. */
function clampUnit(value: number): number {
  return Math.min(1, Math.max(0, value));
}
