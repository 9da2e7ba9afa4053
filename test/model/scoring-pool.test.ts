/**
 * The scoring pool (MODEL_WORKERS): the built-in model's rankings computed in worker threads are exactly the
 * in-process ones, in order, purchases included; the event loop keeps turning while a batch is scored (it does not
 * in-process); and the settings that select it are validated. Workers load from the TypeScript sources through the
 * tsx bootstrap, as they do under `npm test` and `npm run dev`.
 */
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { BuiltinModel, inProcessRanker } from '../../src/model/builtin-model.js';
import { createScoringPool } from '../../src/model/scoring-pool.js';
import type { Model } from '../../src/model/model.js';

/** Event-loop turns (setImmediate callbacks) that ran while `work` was pending. */
async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let running = true;
  const spin = (): void => {
    if (!running) return;
    turns += 1;
    setImmediate(spin);
  };
  setImmediate(spin);
  const result = await work();
  running = false;
  return { result, turns };
}

describe('scoring pool', () => {
  const pooled = new BuiltinModel({ version: 'v3', ranker: createScoringPool({ threads: 2 }) });
  const inProcess = new BuiltinModel({ version: 'v3' });
  const users = Array.from({ length: 60 }, (_, index) => `pool-user-${index}`);

  afterAll(async () => {
    await pooled.close();
    await inProcess.close();
  });

  it('ranks exactly as in-process, one result per user in order, purchases excluded', async () => {
    for (const model of [pooled, inProcess] as Model[]) {
      await model.recordPurchase('pool-user-3', 'i42');
      await model.recordPurchase('pool-user-3', 'i7');
    }
    const [fromPool, fromThread] = await Promise.all([
      pooled.scoreAndRank(users, 50),
      inProcess.scoreAndRank(users, 50),
    ]);
    expect(fromPool).toHaveLength(users.length);
    expect(fromPool).toEqual(fromThread);
    const third = fromPool[3];
    if (third === undefined || third instanceof Error) throw new Error('no list for pool-user-3');
    expect(third.userId).toBe('pool-user-3');
    expect(third.items.map((item) => item.itemId)).not.toContain('i42');
  });

  it('drifts exactly as in-process: the clock reading travels with each user to the worker', async () => {
    const clock = { now: 1_764_000_000_000 };
    const drifting = new BuiltinModel({
      version: 'v3',
      ranker: createScoringPool({ threads: 1 }),
      drift: { clock: () => clock.now },
    });
    const reference = new BuiltinModel({ version: 'v3', drift: { clock: () => clock.now } });
    try {
      const before = await drifting.scoreAndRank(users.slice(0, 10), 20);
      expect(before).toEqual(await reference.scoreAndRank(users.slice(0, 10), 20));
      clock.now += 6 * 3_600_000;
      const after = await drifting.scoreAndRank(users.slice(0, 10), 20);
      expect(after).toEqual(await reference.scoreAndRank(users.slice(0, 10), 20));
      expect(after).not.toEqual(before);
    } finally {
      await drifting.close();
    }
  });

  it('a batch of one, and an empty batch', async () => {
    expect(await pooled.scoreAndRank(['solo'], 5)).toEqual(await inProcess.scoreAndRank(['solo'], 5));
    expect(await pooled.scoreAndRank([], 5)).toEqual([]);
  });

  it('scores off the event loop: the loop keeps turning while the pool works, and does not in-process', async () => {
    const batch = Array.from({ length: 200 }, (_, index) => `loop-user-${index}`);
    const offLoop = await loopTurnsDuring(() => pooled.scoreAndRank(batch, 100));
    const onLoop = await loopTurnsDuring(() => inProcess.scoreAndRank(batch, 100));
    expect(offLoop.result).toEqual(onLoop.result);
    expect(onLoop.turns).toBe(0);
    expect(offLoop.turns).toBeGreaterThan(0);
  });

  it('rejects a pool without threads', () => {
    expect(() => createScoringPool({ threads: 0 })).toThrow(RangeError);
    expect(() => createScoringPool({ threads: 1.5 })).toThrow(/whole number of threads/);
  });

  it('the in-process ranker puts an Error in the slot of a user whose ranking throws, and ranks the others', async () => {
    const ranker = inProcessRanker({
      version: 'x',
      itemCount: 1,
      dims: 1,
      itemFactors: new Float32Array(1),
      itemBias: new Float32Array(1),
    });
    const poisoned = {
      get userId(): string {
        throw new Error('poisoned request');
      },
      purchasedIndices: [],
    };
    const results = await ranker.rank([{ userId: 'fine', purchasedIndices: [] }, poisoned], 1);
    expect(results[0]).not.toBeInstanceOf(Error);
    expect(results[1]).toBeInstanceOf(Error);
  });
});

describe('settings: MODEL_WORKERS and GRAPHQL_EXECUTOR', () => {
  it('default to a scoring worker per core and the compiled executor', () => {
    const config = loadConfig({});
    expect(config.modelWorkers).toBe(Math.max(1, availableParallelism()));
    expect(config.graphqlExecutor).toBe('jit');
  });

  it('MODEL_WORKERS=0 keeps scoring in-process; GRAPHQL_EXECUTOR=reference selects graphql-js', () => {
    const config = loadConfig({ MODEL_WORKERS: '0', GRAPHQL_EXECUTOR: 'reference' });
    expect(config.modelWorkers).toBe(0);
    expect(config.graphqlExecutor).toBe('reference');
  });

  it.each([
    ['MODEL_WORKERS', 'many', /MODEL_WORKERS must be a whole number from 0 to 64/],
    ['MODEL_WORKERS', '65', /MODEL_WORKERS must be a whole number from 0 to 64/],
    ['GRAPHQL_EXECUTOR', 'fast', /GRAPHQL_EXECUTOR must be one of jit, reference/],
  ])('%s=%s is refused at start-up', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
