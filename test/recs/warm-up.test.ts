/**
 * Cutover warm-up: the pure-ish core against the memory store with a hand-moved clock (which users, what is written,
 * the rate limit, the generation check), then the operator CLI against a real Redis and a real model server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStored } from '../../src/cache/entry-codec.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { RankedList } from '../../src/model/model.js';
import { ActivityRecorder, MemoryActiveUsers } from '../../src/recs/active-users.js';
import { warmUp } from '../../src/recs/warm-up.js';
import type { WarmUpOptions, WarmUpProgress } from '../../src/recs/warm-up.js';
import { CountingModel } from '../support/models.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, keysOn } from '../gateway/helpers.js';
import { ManualClock, builtinModel, createService } from './service-fixture.js';

const TTL = { baseTtlMs: 600_000, minTtlMs: 60_000, maxTtlMs: 600_000, jitter: 0.1, activityWindowMs: 86_400_000 };

function options(
  overrides: Partial<WarmUpOptions> & Pick<WarmUpOptions, 'store' | 'activeUsers' | 'model'>,
): WarmUpOptions {
  return {
    keyPrefix: '',
    users: 1_000,
    ratePerSecond: 1_000_000,
    batchSize: 100,
    ttl: TTL,
    graceMs: 3_600_000,
    listSize: 20,
    ...overrides,
  };
}

describe('warmUp', () => {
  it('warms the most recently active users only, under the new version, with what that version computes', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const activeUsers = new MemoryActiveUsers();
    await activeUsers.record(Array.from({ length: 10 }, (_, index) => [`user-${index}`, clock.time + index] as const));
    const v2 = new CountingModel(builtinModel('v2'));

    const report = await warmUp(options({ store, activeUsers, model: v2, users: 4, batchSize: 3, now: clock.now }));
    expect(report).toMatchObject({
      version: 'v2',
      total: 4,
      done: 4,
      written: 4,
      alreadyWarm: 0,
      failed: 0,
      refused: 0,
    });
    expect(v2.scoreCalls).toEqual([['user-9', 'user-8', 'user-7'], ['user-6']]);

    const snapshots = await store.readMany(['user-9', 'user-6', 'user-5'].map((userId) => userKeys('', userId, 'v2')));
    const [expected] = (await builtinModel('v2').scoreAndRank(['user-9'], 20)) as RankedList[];
    expect(snapshots[0]?.entry?.modelVersion).toBe('v2');
    // Ids exactly; scores as the store keeps them (it may round them for space).
    expect(snapshots[0]?.entry?.items.map((item) => item.itemId)).toEqual(expected?.items.map((item) => item.itemId));
    snapshots[0]?.entry?.items.forEach((item, index) =>
      expect(item.score).toBeCloseTo(expected?.items[index]?.score ?? NaN, 5),
    );
    expect(snapshots[1]?.entry?.modelVersion).toBe('v2');
    expect(snapshots[2]?.entry).toBeUndefined();

    // Run again: nothing to do, no model call.
    const again = await warmUp(options({ store, activeUsers, model: v2, users: 4, now: clock.now }));
    expect(again).toMatchObject({ written: 0, alreadyWarm: 4 });
    expect(v2.calls).toBe(2);
  });

  it('a gateway that switches to the warmed version serves those users from the cache, without a model call', async () => {
    const store = new MemoryStore(64_000_000);
    const activeUsers = new MemoryActiveUsers();
    await activeUsers.record([['reader', Date.now()]]);
    await warmUp(options({ store, activeUsers, model: builtinModel('v2') }));
    const live = new CountingModel(builtinModel('v2'));
    const [served] = await createService(store, live).loadMany(['reader']);
    expect(served).toMatchObject({ source: 'CACHE', modelVersion: 'v2' });
    expect(live.calls).toBe(0);
  });

  it('keeps the users scored per second under the rate, batch after batch', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const activeUsers = new MemoryActiveUsers();
    await activeUsers.record(Array.from({ length: 250 }, (_, index) => [`r-${index}`, index] as const));
    const starts: number[] = [];
    const model = builtinModel('v2');
    const timed = {
      currentVersion: () => model.currentVersion(),
      scoreAndRank: async (userIds: readonly string[], limit: number) => {
        starts.push(clock.time);
        return model.scoreAndRank(userIds, limit);
      },
      recordPurchase: async () => {},
      close: async () => {},
    };
    const progress: WarmUpProgress[] = [];
    const gauge: Array<[number, number]> = [];
    await warmUp(
      options({
        store,
        activeUsers,
        model: timed,
        users: 250,
        ratePerSecond: 100,
        batchSize: 50,
        now: clock.now,
        sleep: async (ms) => clock.advance(ms),
        onProgress: (report) => progress.push(report),
        telemetry: { warmupProgress: (done, total) => gauge.push([done, total]) },
      }),
    );
    expect(gauge).toEqual([
      [0, 250],
      [50, 250],
      [100, 250],
      [150, 250],
      [200, 250],
      [250, 250],
    ]);
    // 50 users per batch at 100 users/s: a batch every 500 ms.
    expect(starts.map((start) => start - (starts[0] ?? 0))).toEqual([0, 500, 1_000, 1_500, 2_000]);
    expect(progress.map((report) => report.done)).toEqual([50, 100, 150, 200, 250]);
  });

  it('never overwrites a purchase that happened while the list was computed (generation check)', async () => {
    const store = new MemoryStore(64_000_000);
    const activeUsers = new MemoryActiveUsers();
    await activeUsers.record([
      ['buyer', 1],
      ['quiet', 2],
    ]);
    const model = builtinModel('v2');
    const buying = {
      currentVersion: () => 'v2',
      scoreAndRank: async (userIds: readonly string[], limit: number) => {
        const lists = await model.scoreAndRank(userIds, limit);
        await store.recordPurchase(
          userKeys('', 'buyer', 'v1'),
          { itemId: 'i1', at: Date.now() },
          { maxRemembered: 5, stateTtlMs: 60_000 },
        );
        return lists;
      },
      recordPurchase: async () => {},
      close: async () => {},
    };
    const report = await warmUp(options({ store, activeUsers, model: buying }));
    expect(report).toMatchObject({ written: 1, refused: 1 });
    const [buyer, quiet] = await store.readMany([userKeys('', 'buyer', 'v2'), userKeys('', 'quiet', 'v2')]);
    expect(buyer?.entry).toBeUndefined();
    expect(quiet?.entry?.modelVersion).toBe('v2');
  });

  it('counts model failures and keeps going', async () => {
    const store = new MemoryStore(64_000_000);
    const activeUsers = new MemoryActiveUsers();
    await activeUsers.record(Array.from({ length: 4 }, (_, index) => [`f-${index}`, index] as const));
    let calls = 0;
    const model = builtinModel('v2');
    const flaky = {
      currentVersion: () => 'v2',
      scoreAndRank: async (userIds: readonly string[], limit: number) => {
        if ((calls += 1) === 1) throw new Error('model down');
        return model.scoreAndRank(userIds, limit);
      },
      recordPurchase: async () => {},
      close: async () => {},
    };
    expect(await warmUp(options({ store, activeUsers, model: flaky, batchSize: 2 }))).toMatchObject({
      failed: 2,
      written: 2,
    });
  });

  it('rejects nonsense sizes, naming the bad value', async () => {
    const base = {
      store: new MemoryStore(64_000_000),
      activeUsers: new MemoryActiveUsers(),
      model: builtinModel('v2'),
    };
    await expect(warmUp(options({ ...base, ratePerSecond: 0 }))).rejects.toThrow(
      'warmUp ratePerSecond must be a positive integer, but got: 0',
    );
    await expect(warmUp(options({ ...base, users: 1.5 }))).rejects.toThrow('but got: 1.5');
  });
});

describe('ActivityRecorder and the active-users log', () => {
  it('records each user at most once per interval, in one batched write per flush', async () => {
    const clock = new ManualClock();
    const writes: Array<ReadonlyArray<readonly [string, number]>> = [];
    const log = new MemoryActiveUsers();
    const recorder = new ActivityRecorder({
      log: {
        record: async (seen) => {
          writes.push(seen);
          await log.record(seen);
        },
        mostRecent: (limit) => log.mostRecent(limit),
        close: async () => {},
      },
      minIntervalMs: 60_000,
      flushIntervalMs: 60_000,
      now: clock.now,
    });
    recorder.touch(['a', 'b']);
    recorder.touch(['a', 'c']);
    clock.advance(30_000);
    recorder.touch(['a']);
    await recorder.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]?.map(([userId]) => userId)).toEqual(['a', 'b', 'c']);

    clock.advance(30_000);
    recorder.touch(['b', 'a']);
    await recorder.flush();
    await recorder.flush();
    expect(writes).toHaveLength(2);
    expect(writes[1]?.map(([userId]) => userId)).toEqual(['b', 'a']);
    expect(await log.mostRecent(10)).toEqual(['a', 'b', 'c']);
    await recorder.close();
  });

  it('flushes early at the batch size, and a failing log never throws into the read path', async () => {
    let writes = 0;
    const recorder = new ActivityRecorder({
      log: {
        record: async () => {
          writes += 1;
          throw new Error('redis down');
        },
        mostRecent: async () => [],
        close: async () => {},
      },
      flushAtCount: 3,
      flushIntervalMs: 60_000,
    });
    recorder.touch(['x', 'y']);
    expect(writes).toBe(0);
    expect(() => recorder.touch(['z'])).not.toThrow();
    await recorder.flush();
    expect(writes).toBe(1);
    await recorder.close();
  });

  it('the memory log keeps only the most recent users, most recent first', async () => {
    const log = new MemoryActiveUsers(3);
    await log.record([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    await log.record([
      ['d', 4],
      ['a', 5],
    ]);
    expect(await log.mostRecent(10)).toEqual(['a', 'd', 'c']);
    expect(await log.mostRecent(2)).toEqual(['a', 'd']);
  });
});

describe('npm run warm-up (Redis, a real model server as the new version)', () => {
  const cleanups = new Cleanups();
  const run = promisify(execFile);
  let redis: RedisProcess;
  let v2: InProcessModelServer;
  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    v2 = await startModelServer({ version: 'v2' });
    cleanups.add(() => v2.close());
  });
  afterAll(async () => {
    await cleanups.run();
  });

  it('warms the most recently active users under the new version, batched, and reports progress', async () => {
    const members = Array.from({ length: 40 }, (_, index) => [String(1_000 + index), `w-${index}`]).flat();
    await redisCli(redis.port, 'ZADD', 'recs:active', ...members);
    const { stdout, stderr } = await run(
      'npm',
      ['run', '--silent', 'warm-up', '--', '--model-url', v2.url, '--users', '25', '--rate', '1000', '--batch', '10'],
      {
        env: { ...process.env, REDIS_URL: redis.url, REDIS_CLUSTER_URLS: '' },
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ version: 'v2', total: 25, done: 25, written: 25, failed: 0 });
    expect(stderr).toContain('"msg":"progress"');
    expect(v2.model.scoreCalls.map((batch) => batch.length)).toEqual([10, 10, 5]);

    const keys = (await keysOn(redis.port, 'recs:{*}:v2')).filter((key) => !key.endsWith(':lease'));
    // The 25 most recent are w-39 down to w-15.
    expect(keys).toEqual(Array.from({ length: 25 }, (_, index) => `recs:{w-${index + 15}}:v2`).sort());
    const stored = decodeStored(await redisCli(redis.port, 'GET', 'recs:{w-39}:v2'));
    const [expected] = (await new BuiltinModel({ version: 'v2' }).scoreAndRank(['w-39'], 100)) as RankedList[];
    expect(stored?.kind === 'entry' ? stored.entry.items.map((item) => item.itemId) : []).toEqual(
      expected?.items.map((item) => item.itemId),
    );
  });

  it('refuses to run without a model URL or without Redis, with a usage message', async () => {
    await expect(
      run('npm', ['run', '--silent', 'warm-up'], { env: { ...process.env, REDIS_URL: redis.url } }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage') as unknown,
    });
    await expect(
      run('npm', ['run', '--silent', 'warm-up', '--', '--model-url', v2.url], {
        env: { ...process.env, REDIS_URL: '', REDIS_CLUSTER_URLS: '' },
      }),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('REDIS_URL') as unknown });
  });
});
