/**
 * The model's cost on its own, in this process: BuiltinModel.scoreAndRank for fresh users, both one user per call
 * (what a single-user miss does) and all users in one call (what a batched miss does). Runs while the servers
 * are idle, so it has a core to itself.
 */
import { BuiltinModel } from '../src/model/builtin-model.js';

export interface ModelTiming {
  readonly users: number;
  readonly limit: number;
  /** 1000 calls of one user each. */
  readonly msPerUserSingle: number;
  /** One call with every user. */
  readonly msPerUserBatched: number;
  readonly catalogSize: number;
}

export async function measureModel(users: number, limit: number): Promise<ModelTiming> {
  const model = new BuiltinModel({ version: 'v1', listSize: limit });
  const ids = (prefix: string, count: number): string[] =>
    Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

  // Let the JIT settle on the scoring loop before timing it.
  for (const userId of ids('jit', 300)) await model.scoreAndRank([userId], limit);

  const single = ids('single', users);
  let started = performance.now();
  for (const userId of single) await model.scoreAndRank([userId], limit);
  const msPerUserSingle = (performance.now() - started) / users;

  started = performance.now();
  const lists = await model.scoreAndRank(ids('batched', users), limit);
  const msPerUserBatched = (performance.now() - started) / users;
  const failed = lists.filter((list) => list instanceof Error).length;
  if (failed > 0) throw new Error(`model failed for ${failed} of ${users} users`);

  await model.close();
  return { users, limit, msPerUserSingle, msPerUserBatched, catalogSize: model.catalog.size };
}
