import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import type { CacheStore } from '../../src/cache/cache-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { ErrorCode } from '../../src/errors.js';
import type { ServedList } from '../../src/recs/served-list.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { CountingModel, FlakyModel, GatedModel, LaggingModel } from '../support/models.js';
import { GRACE_MS, ManualClock, TTL_MS, builtinModel, createService, eventually } from './service-fixture.js';

function served(result: ServedList | Error | undefined): ServedList {
  if (result === undefined || result instanceof Error) throw new Error(`expected a list, got ${String(result)}`);
  return result;
}

describe('freshness engine (memory store, manual clock)', () => {
  it('serves a stale list at once within grace and replaces it in the background (stale-while-revalidate)', async () => {
    const clock = new ManualClock();
    const model = new CountingModel(builtinModel());
    const service = createService(new MemoryStore(64_000_000, clock.now), model, { clock });
    const first = served((await service.loadMany(['u1']))[0]);
    expect(first.source).toBe('MODEL');

    clock.advance(TTL_MS + 1);
    const stale = served((await service.loadMany(['u1']))[0]);
    expect(stale.source).toBe('STALE');
    expect(stale.generatedAt).toEqual(first.generatedAt);
    expect(stale.ageSeconds).toBeGreaterThan(TTL_MS / 1000);
    await eventually(() => model.calls === 2, 'background recompute');

    await eventually(async () => served((await service.loadMany(['u1']))[0]).source === 'CACHE', 'refreshed entry');
    const refreshed = served((await service.loadMany(['u1']))[0]);
    expect(refreshed.generatedAt.getTime()).toBe(clock.time);
  });

  it('computes before answering once the grace period is over', async () => {
    const clock = new ManualClock();
    const service = createService(new MemoryStore(64_000_000, clock.now), builtinModel(), { clock });
    await service.loadMany(['u1']);
    clock.advance(TTL_MS + GRACE_MS + 1);
    expect(served((await service.loadMany(['u1']))[0]).source).toBe('MODEL');
  });

  it('serves the graced list when the model fails (stale-if-error), and MODEL_UNAVAILABLE with nothing to serve', async () => {
    const clock = new ManualClock();
    const model = new FlakyModel(builtinModel());
    const service = createService(new MemoryStore(64_000_000, clock.now), model, { clock });
    const cached = served((await service.loadMany(['u1']))[0]);
    model.failing = true;
    clock.advance(TTL_MS + 1);
    const [stale, missing] = await service.loadMany(['u1', 'u2']);
    expect(served(stale).source).toBe('STALE');
    expect(served(stale).items).toEqual(cached.items);
    expect(missing).toBeInstanceOf(Error);
    expect((missing as { extensions?: Record<string, unknown> }).extensions?.code).toBe(ErrorCode.MODEL_UNAVAILABLE);
  });

  it('never lets an entry of one model version answer another, stale or not', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    await createService(store, builtinModel('v1'), { clock }).loadMany(['u1']);
    const v2 = new FlakyModel(builtinModel('v2'));
    const service = createService(store, v2, { clock });
    v2.failing = true;
    expect((await service.loadMany(['u1']))[0]).toBeInstanceOf(Error);
    v2.failing = false;
    const list = served((await service.loadMany(['u1']))[0]);
    expect(list.modelVersion).toBe('v2');
    expect(list.source).toBe('MODEL');
  });

  it('refreshes a hot entry early (XFetch) so it never expires into a miss', async () => {
    const clock = new ManualClock();
    const model = new CountingModel(builtinModel());
    // random() near 0 makes -ln(random) large: the early-refresh test passes well before expiry.
    const service = createService(new MemoryStore(64_000_000, clock.now), model, {
      clock,
      earlyRefreshBeta: 1,
      random: () => 1e-300,
    });
    await service.loadMany(['u1']);
    clock.advance(TTL_MS - 100);
    const beforeExpiry = served((await service.loadMany(['u1']))[0]);
    expect(beforeExpiry.source).toBe('CACHE');
    await eventually(() => model.calls === 2, 'early refresh');
  });

  it('does not refresh early when the entry is far from expiry and random is typical', async () => {
    const clock = new ManualClock();
    const model = new CountingModel(builtinModel());
    const service = createService(new MemoryStore(64_000_000, clock.now), model, {
      clock,
      earlyRefreshBeta: 1,
      random: () => 0.5,
    });
    await service.loadMany(['u1']);
    clock.advance(1000);
    await service.loadMany(['u1']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(model.calls).toBe(1);
  });

  it('coalesces concurrent misses for one user into one model computation', async () => {
    const model = new CountingModel(builtinModel());
    const service = createService(new MemoryStore(64_000_000), model);
    const results = await Promise.all(Array.from({ length: 200 }, () => service.loadMany(['hot'])));
    expect(model.users).toBe(1);
    const items = results.map((result) => JSON.stringify(served(result[0]).items));
    expect(new Set(items).size).toBe(1);
  });
});

function storeSuite(name: string, createStore: () => CacheStore) {
  describe(`purchases against in-flight recomputes (${name})`, () => {
    it('never writes a list computed before a purchase back after it, 1,000 times in a row', async () => {
      const store = createStore();
      const gated = new GatedModel(builtinModel());
      const service = createService(store, gated);
      for (let round = 0; round < 1000; round += 1) {
        const userId = `race-${name}-${round}`;
        const keys = userKeys('', userId, 'v1');
        gated.held = true;
        const entered = gated.entered();
        const reading = service.loadMany([userId]);
        await entered;
        // The model has computed the pre-purchase list and is holding it: buy its top item now.
        const preview = await builtinModel().scoreAndRank([userId], 20);
        const top = preview[0];
        if (top === undefined || top instanceof Error) throw new Error('the model must rank this user');
        const bought = top.items[0]?.itemId ?? '';
        await service.learnPurchase(userId, bought);
        await service.applyPurchase(userId, bought, Date.now());
        gated.held = false;
        gated.release();
        await reading;

        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.entry, `round ${round}: the old list must not be cached`).toBeUndefined();
        const next = served((await service.loadMany([userId]))[0]);
        expect(next.source).toBe('MODEL');
        expect(next.items.map((item) => item.itemId)).not.toContain(bought);
      }
    }, 120_000);

    it('filters bought items out of every served list, even when the model has not learned the purchase yet', async () => {
      const store = createStore();
      const service = createService(store, new LaggingModel(builtinModel()));
      const userId = `lag-${name}`;
      const before = served((await service.loadMany([userId]))[0]);
      const bought = before.items[0]?.itemId ?? '';
      await service.learnPurchase(userId, bought);
      await service.applyPurchase(userId, bought, Date.now());
      const afterMiss = served((await service.loadMany([userId]))[0]);
      expect(afterMiss.source).toBe('MODEL');
      expect(afterMiss.items.map((item) => item.itemId)).not.toContain(bought);
      expect(afterMiss.items[0]?.rank).toBe(1);
      const afterHit = served((await service.loadMany([userId]))[0]);
      expect(afterHit.source).toBe('CACHE');
      expect(afterHit.items.map((item) => item.itemId)).not.toContain(bought);
    });
  });
}

storeSuite('memory', () => new MemoryStore(64_000_000));

describe('with Redis', () => {
  let redis: RedisProcess;
  const stores: RedisStore[] = [];
  const redisStore = () => {
    const store = new RedisStore({ url: redis.url, timeoutMs: 1000, onError: () => {} });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await redis.stop();
  });

  storeSuite('redis', redisStore);

  it('computes once across replicas: the lease makes the others wait for the winner', async () => {
    const models = [new CountingModel(builtinModel()), new CountingModel(builtinModel())];
    const services = models.map((model) => createService(redisStore(), model));
    const reads = Array.from({ length: 200 }, (_, index) => services[index % 2]!.loadMany(['cold-shared']));
    const results = await Promise.all(reads);
    expect(models[0]!.users + models[1]!.users).toBe(1);
    const lists = results.map((result) => served(result?.[0]));
    expect(new Set(lists.map((list) => JSON.stringify(list.items))).size).toBe(1);
  });

  it('does not let a dead lease holder block the key beyond the wait bound', async () => {
    const store = redisStore();
    const keys = userKeys('', 'orphaned', 'v1');
    // A replica took the lease and died: nobody will ever write this user's list.
    expect(await store.acquireLeases([keys], 'dead-replica', 60_000)).toEqual([true]);
    const model = new CountingModel(builtinModel());
    const service = createService(store, model, { leaseWaitMs: 300 });
    const started = Date.now();
    const list = served((await service.loadMany(['orphaned']))[0]);
    expect(list.source).toBe('MODEL');
    expect(model.users).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
