/**
 * The embedded default model: an in-process matrix-factorisation style scorer over the synthetic catalogue.
 *
 * The scoring itself (`rankForUser`) is a pure function over plain data and typed arrays, so it can be moved into
 * a worker thread without dragging the class along; the class only keeps purchases and maps indices to ids.
 */
import { createCatalog } from './catalog.js';
import type { Catalog } from './catalog.js';
import type { Model, RankedItem, RankedList } from './model.js';
import { addTrend, driftedPrior } from './drift.js';
import { createRandom } from './prng.js';

export const DEFAULT_LIST_SIZE = 100;

/**
 * How much of a version's item factors is kept from the catalogue's base factors. Below 1 so a new version really
 * re-ranks, above 0 so items stay recognisably themselves (books remain near books) across versions.
 */
const BASE_FACTOR_RETENTION = 0.8;
/** Range of the weight a version gives popularity relative to personal taste (dot products are roughly ±1). */
const MIN_POPULARITY_WEIGHT = 0.25;
const POPULARITY_WEIGHT_SPREAD = 0.2;
/** Per-item popularity drift between versions, small next to the popularity term itself. */
const POPULARITY_DRIFT = 0.02;
/** Purchases after which taste is half the user's own prior and half the bought items: pull = n / (n + this). */
const PURCHASES_FOR_HALF_PULL = 2;

/** Everything `rankForUser` needs from a model version: plain data, so it can be posted to a worker. */
export interface VersionWeights {
  readonly version: string;
  readonly itemCount: number;
  readonly dims: number;
  /** Row-major, `itemCount * dims`. */
  readonly itemFactors: Float32Array;
  /** Popularity term added to each item's score. */
  readonly itemBias: Float32Array;
}

export interface RankForUserInput {
  readonly userId: string;
  readonly weights: VersionWeights;
  /** Catalogue indices the user bought: excluded from the ranking and pulling the taste towards them. */
  readonly purchasedIndices: readonly number[];
  readonly limit: number;
  /** The model's clock reading for this ranking (epoch ms): the user's taste drifts with it (`drift.ts`). Absent: no drift. */
  readonly atMs?: number;
}

/** The top items as catalogue indices, best first, with their scores. */
export interface RankedIndices {
  readonly itemIndices: Int32Array;
  readonly scores: Float64Array;
}

export interface BuiltinModelOptions {
  /** Model version; seeds the item factors and popularity weighting, and labels every list computed. */
  readonly version: string;
  readonly catalog?: Catalog;
  /** Upper bound on items per list: larger `limit`s are clamped to it. Defaults to 100. */
  readonly listSize?: number;
  /**
   * Where `rankForUser` runs. Default: in this thread, on the event loop. `createScoringPool` (scoring-pool.ts) runs
   * it in worker threads, so a burst of misses never holds up the hits served meanwhile.
   */
  readonly ranker?: (weights: VersionWeights) => Ranker;
  /**
   * Drift (`drift.ts`): users' tastes and the popularity trend move with this clock, deterministically, so a list
   * computed later may differ from one computed now. Absent: rankings never change with time.
   */
  readonly drift?: { readonly clock: () => number };
}

/** One user to rank: what `rankForUser` needs besides the version's weights and the limit. */
export interface RankRequest {
  readonly userId: string;
  readonly purchasedIndices: readonly number[];
  /** The clock reading the user's taste drifts to; absent without drift. */
  readonly atMs?: number;
}

/** Runs `rankForUser` for a batch: one result or Error per request, in order. */
export interface Ranker {
  rank(requests: readonly RankRequest[], limit: number): Promise<Array<RankedIndices | Error>>;
  /** Resolves once the ranker can answer at full speed (a pool: every worker loaded); rejects if it never will. */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

/** The default ranker: the batch in this thread, one user after another. */
export function inProcessRanker(weights: VersionWeights): Ranker {
  return {
    async rank(requests, limit) {
      return requests.map((request) => {
        // One user's failure must not fail the batch: the Model contract returns an Error in that user's slot.
        try {
          return rankForUser({
            userId: request.userId,
            weights,
            purchasedIndices: request.purchasedIndices,
            limit,
            atMs: request.atMs,
          });
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    },
    async close() {},
  };
}

/** Derives a version's item factors and popularity bias from the catalogue, deterministically from the version. */
export function deriveVersionWeights(catalog: Catalog, version: string): VersionWeights {
  const { size, factorDims: dims } = catalog;
  const random = createRandom(`${catalog.seed}:model:${version}`);

  const retrainedShare = Math.sqrt(1 - BASE_FACTOR_RETENTION * BASE_FACTOR_RETENTION);
  const componentScale = 1 / Math.sqrt(dims);
  const itemFactors = new Float32Array(size * dims);
  for (let i = 0; i < itemFactors.length; i++) {
    const base = catalog.factors[i] ?? 0;
    itemFactors[i] = BASE_FACTOR_RETENTION * base + retrainedShare * random.gaussian() * componentScale;
  }

  // Log popularity rescaled to [0, 1]: raw Zipf shares span four orders of magnitude and would otherwise let the
  // top handful of items beat every personal preference.
  let minLog = Infinity;
  let maxLog = -Infinity;
  for (const share of catalog.popularity) {
    const log = Math.log(share);
    if (log < minLog) minLog = log;
    if (log > maxLog) maxLog = log;
  }
  const logRange = maxLog - minLog;
  const popularityWeight = MIN_POPULARITY_WEIGHT + POPULARITY_WEIGHT_SPREAD * random.next();
  const itemBias = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const normalised = logRange > 0 ? (Math.log(catalog.popularity[i] ?? 0) - minLog) / logRange : 1;
    itemBias[i] = popularityWeight * normalised + POPULARITY_DRIFT * random.gaussian();
  }

  return { version, itemCount: size, dims, itemFactors, itemBias };
}

/**
 * A user's taste: a unit prior seeded by the user id alone (so it is stable across versions and restarts), pulled
 * towards the mean factors of what they bought, more strongly the more they bought. With a clock reading `atMs`, the
 * prior drifts along the user's own path and the version's popularity trend is added (`drift.ts`).
 */
export function deriveUserTaste(
  userId: string,
  weights: VersionWeights,
  purchasedIndices: readonly number[],
  atMs?: number,
): Float64Array {
  const taste = tasteWithoutTrend(userId, weights, purchasedIndices, atMs);
  if (atMs !== undefined) addTrend(weights.version, taste, atMs);
  return taste;
}

function tasteWithoutTrend(
  userId: string,
  weights: VersionWeights,
  purchasedIndices: readonly number[],
  atMs: number | undefined,
): Float64Array {
  const { dims, itemFactors, itemCount } = weights;
  const random = createRandom(`taste:${userId}`);
  let prior = new Float64Array(dims);
  for (let d = 0; d < dims; d++) prior[d] = random.gaussian();
  normalise(prior);
  if (atMs !== undefined) {
    const drifted = new Float64Array(dims);
    driftedPrior(userId, prior, atMs, drifted);
    prior = drifted;
  }

  const bought = new Float64Array(dims);
  let boughtCount = 0;
  for (const index of purchasedIndices) {
    if (!Number.isInteger(index) || index < 0 || index >= itemCount) continue;
    const offset = index * dims;
    for (let d = 0; d < dims; d++) bought[d] = (bought[d] ?? 0) + (itemFactors[offset + d] ?? 0);
    boughtCount++;
  }
  if (boughtCount === 0) return prior;

  normalise(bought);
  const pull = boughtCount / (boughtCount + PURCHASES_FOR_HALF_PULL);
  const taste = new Float64Array(dims);
  for (let d = 0; d < dims; d++) taste[d] = (1 - pull) * (prior[d] ?? 0) + pull * (bought[d] ?? 0);
  return taste;
}

/**
 * Scores every item for one user (taste · factors + popularity bias) and keeps the best `limit`, excluding
 * purchased items. Pure: all inputs are plain data, so it can run in a worker thread.
 */
export function rankForUser(input: RankForUserInput): RankedIndices {
  const { userId, weights, purchasedIndices } = input;
  const { itemCount, dims, itemFactors, itemBias } = weights;
  const taste = deriveUserTaste(userId, weights, purchasedIndices, input.atMs);

  // A byte mask rather than a Set: the check runs once per catalogue item.
  const excluded = new Uint8Array(itemCount);
  for (const index of purchasedIndices) {
    if (Number.isInteger(index) && index >= 0 && index < itemCount) excluded[index] = 1;
  }

  const top = new TopItems(Math.max(0, Math.min(Math.floor(input.limit), itemCount)));
  if (top.capacity === 0) return top.drainBestFirst();
  for (let item = 0, offset = 0; item < itemCount; item++, offset += dims) {
    if (excluded[item] === 1) continue;
    let score = itemBias[item] ?? 0;
    for (let d = 0; d < dims; d++) score += (taste[d] ?? 0) * (itemFactors[offset + d] ?? 0);
    top.offer(item, score);
  }
  return top.drainBestFirst();
}

export class BuiltinModel implements Model {
  readonly catalog: Catalog;
  readonly listSize: number;
  private readonly version: string;
  private readonly weights: VersionWeights;
  private readonly ranker: Ranker;
  private readonly clock: (() => number) | undefined;
  /** Item ids per user, including ids unknown to the catalogue (they cannot be ranked, so they stay excluded). */
  private readonly purchasesByUser = new Map<string, Set<string>>();

  constructor(options: BuiltinModelOptions) {
    if (options.version === '') throw new RangeError('model version must not be empty');
    const listSize = options.listSize ?? DEFAULT_LIST_SIZE;
    if (!Number.isInteger(listSize) || listSize < 1) {
      throw new RangeError(`listSize must be a positive integer, got ${listSize}`);
    }
    this.version = options.version;
    this.listSize = listSize;
    this.catalog = options.catalog ?? createCatalog();
    this.weights = deriveVersionWeights(this.catalog, this.version);
    this.ranker = (options.ranker ?? inProcessRanker)(this.weights);
    this.clock = options.drift?.clock;
  }

  currentVersion(): string {
    return this.version;
  }

  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    const boundedLimit = Math.min(limit, this.listSize);
    // One clock reading per batch: every user of a call is ranked as of the same moment.
    const atMs = this.clock?.();
    const requests = userIds.map((userId) => ({ userId, purchasedIndices: this.purchasedIndicesOf(userId), atMs }));
    const ranked = await this.ranker.rank(requests, boundedLimit);
    return userIds.map((userId, position) => {
      const result = ranked[position];
      // One user's failure must not fail the batch: the Model contract returns an Error in that user's slot.
      if (result === undefined) return new Error(`the ranker returned no result for user ${userId}`);
      if (result instanceof Error) return result;
      try {
        return this.listOf(userId, result);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    });
  }

  async recordPurchase(userId: string, itemId: string): Promise<void> {
    let purchases = this.purchasesByUser.get(userId);
    if (purchases === undefined) {
      purchases = new Set<string>();
      this.purchasesByUser.set(userId, purchases);
    }
    purchases.add(itemId);
  }

  /** Resolves when scoring is ready (at once in-process; a worker pool once its threads have loaded). */
  async ready(): Promise<void> {
    await this.ranker.ready?.();
  }

  async close(): Promise<void> {
    // In-process: nothing to release. A worker pool terminates its threads here.
    await this.ranker.close();
  }

  private listOf(userId: string, ranked: RankedIndices): RankedList {
    const items: RankedItem[] = [];
    ranked.itemIndices.forEach((index, position) => {
      items.push({ itemId: this.catalog.itemAt(index).id, score: ranked.scores[position] ?? 0 });
    });
    return { userId, modelVersion: this.version, items };
  }

  private purchasedIndicesOf(userId: string): number[] {
    const indices: number[] = [];
    for (const itemId of this.purchasesByUser.get(userId) ?? []) {
      const index = this.catalog.indexOf(itemId);
      if (index !== -1) indices.push(index);
    }
    return indices;
  }
}

function normalise(vector: Float64Array): void {
  let squares = 0;
  for (const component of vector) squares += component * component;
  if (squares === 0) return;
  const scale = 1 / Math.sqrt(squares);
  for (let d = 0; d < vector.length; d++) vector[d] = (vector[d] ?? 0) * scale;
}

/**
 * Bounded min-heap of the best `capacity` items seen so far: the root is the worst kept item, so each new
 * candidate costs one comparison unless it beats it. O(n log k) instead of sorting all n items.
 * Ties on score go to the lower index, so rankings are fully deterministic.
 */
class TopItems {
  readonly capacity: number;
  private readonly indices: Int32Array;
  private readonly scores: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.indices = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  offer(index: number, score: number): void {
    if (this.count < this.capacity) {
      this.indices[this.count] = index;
      this.scores[this.count] = score;
      this.siftUp(this.count++);
      return;
    }
    if (!this.isWorse(this.scores[0] ?? 0, this.indices[0] ?? 0, score, index)) return;
    this.indices[0] = index;
    this.scores[0] = score;
    this.siftDown(0);
  }

  /** Empties the heap into arrays ordered best first. */
  drainBestFirst(): RankedIndices {
    const itemIndices = new Int32Array(this.count);
    const scores = new Float64Array(this.count);
    for (let position = this.count - 1; position >= 0; position--) {
      itemIndices[position] = this.indices[0] ?? 0;
      scores[position] = this.scores[0] ?? 0;
      this.count--;
      this.indices[0] = this.indices[this.count] ?? 0;
      this.scores[0] = this.scores[this.count] ?? 0;
      this.siftDown(0);
    }
    return { itemIndices, scores };
  }

  /** Whether item a (score, index) ranks below item b. */
  private isWorse(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && indexA > indexB);
  }

  private isWorseAt(a: number, b: number): boolean {
    return this.isWorse(this.scores[a] ?? 0, this.indices[a] ?? 0, this.scores[b] ?? 0, this.indices[b] ?? 0);
  }

  private siftUp(position: number): void {
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.isWorseAt(position, parent)) return;
      this.swap(position, parent);
      position = parent;
    }
  }

  private siftDown(position: number): void {
    for (;;) {
      const left = 2 * position + 1;
      const right = left + 1;
      let worst = position;
      if (left < this.count && this.isWorseAt(left, worst)) worst = left;
      if (right < this.count && this.isWorseAt(right, worst)) worst = right;
      if (worst === position) return;
      this.swap(position, worst);
      position = worst;
    }
  }

  private swap(a: number, b: number): void {
    const index = this.indices[a] ?? 0;
    const score = this.scores[a] ?? 0;
    this.indices[a] = this.indices[b] ?? 0;
    this.scores[a] = this.scores[b] ?? 0;
    this.indices[b] = index;
    this.scores[b] = score;
  }
}
