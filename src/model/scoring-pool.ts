import { Piscina } from 'piscina';
import type { RankRequest, RankedIndices, Ranker, VersionWeights } from './builtin-model.js';
import type { ScoredUser, ScoringTask, ScoringWorkerData } from './scoring-protocol.js';

export interface ScoringPoolOptions {
  /** Worker threads; at least 1 (MODEL_WORKERS=0 means no pool at all: see create-model.ts). */
  readonly threads: number;
  /**
   * Added to the workers' nice value (Linux, through piscina and @napi-rs/nice; ignored where unsupported). Scoring
   * is throughput work and serving hits is latency work: when both want the cores, the hits should win. Default 10.
   */
  readonly niceIncrement?: number;
}

/**
 * Runs from TypeScript sources (tsx, vitest) load the worker through a bootstrap that registers tsx in the worker
 * thread; a compiled build loads the compiled worker beside this file.
 */
const WORKER_FILE = new URL(
  import.meta.url.endsWith('.ts') ? './scoring-worker-tsx.mjs' : './scoring-worker.js',
  import.meta.url,
).href;

/**
 * A ranker for BuiltinModel that scores in a pool of worker threads (piscina), off the event loop.
 *
 * Why: scoring one user is 1-3 ms of pure CPU over the whole catalogue. On the event loop, a stream of cold users
 * (a new model version, a marketing e-mail) queues every cache hit behind those milliseconds; in workers, the loop
 * only posts the batch and maps the answer back, and a hit waits for nothing but the cores. The version's weights
 * are copied once into SharedArrayBuffers that every worker reads in place, so a task carries only user ids and
 * purchases. A batch is split across the threads, so one large miss batch uses every core.
 */
export function createScoringPool(options: ScoringPoolOptions): (weights: VersionWeights) => Ranker {
  if (!Number.isInteger(options.threads) || options.threads < 1) {
    throw new RangeError(`a scoring pool needs a whole number of threads of at least 1, but got: ${options.threads}`);
  }
  return (weights) => {
    const workerData: ScoringWorkerData = {
      version: weights.version,
      itemCount: weights.itemCount,
      dims: weights.dims,
      itemFactors: shared(weights.itemFactors),
      itemBias: shared(weights.itemBias),
    };
    const pool = new Piscina<ScoringTask, ScoredUser[]>({
      filename: WORKER_FILE,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      niceIncrement: options.niceIncrement ?? 10,
      workerData,
    });
    return {
      async rank(requests, limit) {
        if (requests.length === 0) return [];
        const size = Math.ceil(requests.length / options.threads);
        const slices: RankRequest[][] = [];
        for (let start = 0; start < requests.length; start += size) slices.push(requests.slice(start, start + size));
        const answers = await Promise.all(slices.map(async (users) => runSlice(pool, users, limit)));
        return answers.flat();
      },
      async ready() {
        // One empty task per thread, all at once: each worker takes one, so every worker has loaded its module (and
        // the weights) before the first real miss waits on it.
        await Promise.all(Array.from({ length: options.threads }, async () => pool.run({ users: [], limit: 0 })));
      },
      async close() {
        await pool.destroy();
      },
    };
  };
}

// Private helpers.

async function runSlice(
  pool: Piscina<ScoringTask, ScoredUser[]>,
  users: readonly RankRequest[],
  limit: number,
): Promise<Array<RankedIndices | Error>> {
  let scored: ScoredUser[];
  try {
    scored = await pool.run({
      users: users.map(({ userId, purchasedIndices, atMs }) => ({ userId, purchasedIndices, atMs })),
      limit,
    });
  } catch (error) {
    // A worker that died takes its slice with it; the other slices and the pool (which replaces it) carry on.
    const failure = error instanceof Error ? error : new Error(String(error));
    return users.map(() => failure);
  }
  return users.map((_, index) => {
    const result = scored[index];
    if (result === undefined) return new Error('the scoring worker returned fewer results than users');
    return 'error' in result ? new Error(result.error) : result;
  });
}

function shared(values: Float32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(values.byteLength);
  new Float32Array(buffer).set(values);
  return buffer;
}
