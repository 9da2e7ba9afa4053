/**
 * The scoring worker: `rankForUser` in a worker thread of the pool in `scoring-pool.ts`. The version's weights
 * arrive once, in `workerData`, as SharedArrayBuffers (shared with the main thread, not copied); each task is a slice
 * of a batch. Results go back per user, an error message in the slot of a user whose ranking threw.
 */
import { workerData } from 'node:worker_threads';
import { rankForUser } from './builtin-model.js';
import type { VersionWeights } from './builtin-model.js';
import type { ScoringTask, ScoringWorkerData, ScoredUser } from './scoring-protocol.js';

const data = workerData as ScoringWorkerData;
const weights: VersionWeights = {
  version: data.version,
  itemCount: data.itemCount,
  dims: data.dims,
  itemFactors: new Float32Array(data.itemFactors),
  itemBias: new Float32Array(data.itemBias),
};

export default function score(task: ScoringTask): ScoredUser[] {
  return task.users.map((user) => {
    try {
      const ranked = rankForUser({
        userId: user.userId,
        weights,
        purchasedIndices: user.purchasedIndices,
        limit: task.limit,
        atMs: user.atMs,
      });
      return { itemIndices: ranked.itemIndices, scores: ranked.scores };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
}
