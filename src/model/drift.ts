/**
 * How the built-in model's answers move over time, so freshness can be measured against something that behaves like
 * a real recommender: a user's interests wander at their own pace (most slowly, some fast), purchases pull them (as
 * before, in `deriveUserTaste`), and what is popular shifts for everyone.
 *
 * Everything is a pure function of strings and a time: the same user, model version and clock reading always give
 * the same taste, in any process or worker thread, so tests drive it with a fake clock.
 *
 *   prior(t) = normalise(STABLE · core + MOVING · Σ_j (cos(ω_j t + φ_j) A_j + sin(ω_j t + φ_j) B_j) / √J)
 *   trend(t) = TREND · (cos(Ω t + φ) C + sin(Ω t + φ) D)                 one per model version, added to every taste
 *
 * `core` is the user's time-independent prior (the one a model without drift uses), A_j and B_j are per-user random
 * directions, ω_j = pace · (1, golden ratio) so the path never quite repeats. The user's part costs a few dozen
 * random draws per ranking, next to the 160,000 multiply-adds of scoring the catalogue.
 */
import { createRandom } from './prng.js';
import type { Random } from './prng.js';

/** Weight of the user's fixed core interests and of the moving part: a user never drifts into a stranger. */
const STABLE = 0.6;
const MOVING = 0.8;
const PLANES = 2;
const GOLDEN = (1 + Math.sqrt(5)) / 2;
/** Share of users who drift fast, and the pace ranges (radians per hour) of slow and fast users. */
export const FAST_SHARE = 0.2;
const SLOW_PACE: readonly [number, number] = [0.02, 0.4];
const FAST_PACE: readonly [number, number] = [1, 6];
/** The popularity trend: a daily cycle, small next to personal taste. */
const TREND = 0.15;
const TREND_RADIANS_PER_HOUR = (2 * Math.PI) / 24;
const HOUR_MS = 3_600_000;
/** √3: uniform components on [-1, 1] scaled by it have unit variance, like the Gaussian ones, for a fraction of the cost. */
const UNIFORM_TO_UNIT_VARIANCE = Math.sqrt(3);

/** The pace of a user's drift in radians per hour: log-uniform within the slow or the fast range. */
export function userPace(userId: string): number {
  return drawPace(createRandom(`drift:${userId}`));
}

/** The first draws of a user's drift stream: the pace. `driftedPrior` goes on drawing phases and directions from it. */
function drawPace(random: Random): number {
  const [low, high] = random.next() < FAST_SHARE ? FAST_PACE : SLOW_PACE;
  return low * Math.pow(high / low, random.next());
}

/**
 * Writes the user's drifting prior at `atMs` into `out` (length = dims) as a unit vector. `core` is the user's
 * time-independent unit prior.
 */
export function driftedPrior(userId: string, core: Float64Array, atMs: number, out: Float64Array): void {
  const dims = core.length;
  const random = createRandom(`drift:${userId}`);
  const pace = drawPace(random);
  const hours = atMs / HOUR_MS;
  const scale = (MOVING * UNIFORM_TO_UNIT_VARIANCE) / Math.sqrt(PLANES * dims);
  for (let d = 0; d < dims; d++) out[d] = STABLE * (core[d] ?? 0);
  for (let plane = 0; plane < PLANES; plane++) {
    const angle = pace * GOLDEN ** plane * hours + 2 * Math.PI * random.next();
    const cos = Math.cos(angle) * scale;
    const sin = Math.sin(angle) * scale;
    for (let d = 0; d < dims; d++)
      out[d] = (out[d] ?? 0) + cos * (2 * random.next() - 1) + sin * (2 * random.next() - 1);
  }
  let squares = 0;
  for (let d = 0; d < dims; d++) squares += (out[d] ?? 0) ** 2;
  const norm = squares > 0 ? 1 / Math.sqrt(squares) : 0;
  for (let d = 0; d < dims; d++) out[d] = (out[d] ?? 0) * norm;
}

interface TrendBasis {
  readonly cosine: Float64Array;
  readonly sine: Float64Array;
  readonly phase: number;
}

/** Per version and dimension count; a handful of versions ever live in one process. */
const trendBases = new Map<string, TrendBasis>();

/** Adds the version's popularity trend at `atMs` to `taste` in place: what is in fashion moves everyone a little. */
export function addTrend(version: string, taste: Float64Array, atMs: number): void {
  const dims = taste.length;
  const basis = trendBasis(version, dims);
  const angle = TREND_RADIANS_PER_HOUR * (atMs / HOUR_MS) + basis.phase;
  const cos = Math.cos(angle) * TREND;
  const sin = Math.sin(angle) * TREND;
  for (let d = 0; d < dims; d++) taste[d] = (taste[d] ?? 0) + cos * (basis.cosine[d] ?? 0) + sin * (basis.sine[d] ?? 0);
}

function trendBasis(version: string, dims: number): TrendBasis {
  const key = `${dims}:${version}`;
  let basis = trendBases.get(key);
  if (basis === undefined) {
    const random = createRandom(`trend:${version}`);
    const cosine = new Float64Array(dims);
    const sine = new Float64Array(dims);
    for (let d = 0; d < dims; d++) {
      cosine[d] = random.gaussian() / Math.sqrt(dims);
      sine[d] = random.gaussian() / Math.sqrt(dims);
    }
    basis = { cosine, sine, phase: 2 * Math.PI * random.next() };
    trendBases.set(key, basis);
  }
  return basis;
}
