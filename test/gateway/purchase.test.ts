/**
 * The purchase path over real HTTP: `recordPurchase` clears the user's cached list at once, the next read is
 * recomputed (MODEL) without the bought item, and the payload's own `recommendations` already excludes it.
 * Run against the memory store and a real redis-server (where the key is checked with redis-cli).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, CountingModel, buy, itemIds, keysOn, readRecs } from './helpers.js';

interface Backend {
  readonly name: 'memory' | 'redis';
  start(cleanups: Cleanups): Promise<RedisProcess | undefined>;
}

const backends: Backend[] = [
  { name: 'memory', start: async () => undefined },
  {
    name: 'redis',
    start: async (cleanups) => {
      const redis = await startRedis();
      cleanups.add(() => redis.stop());
      return redis;
    },
  },
];

for (const backend of backends) {
  describe(`recordPurchase (${backend.name} store)`, () => {
    const cleanups = new Cleanups();
    let redis: RedisProcess | undefined;
    let gateway: InProcessGateway;
    let model: CountingModel;

    beforeAll(async () => {
      redis = await backend.start(cleanups);
      model = CountingModel.builtin('v1');
      gateway = await startGateway(redis === undefined ? {} : { REDIS_URL: redis.url }, { model });
      cleanups.add(() => gateway.close());
    });

    afterAll(async () => {
      await cleanups.run();
    });

    /** A user whose list is cached (second read CACHE); returns the cached list. */
    async function cachedListOf(userId: string) {
      expect((await readRecs(gateway.url, userId, 100)).source).toBe('MODEL');
      const cached = await readRecs(gateway.url, userId, 100);
      expect(cached.source).toBe('CACHE');
      if (redis !== undefined) expect(await redisCli(redis.port, 'EXISTS', `recs:{${userId}}:v1`)).toBe('1');
      return cached;
    }

    it('buying the top item invalidates the list; the next read is MODEL and excludes the item', async () => {
      const before = await cachedListOf('buyer-1');
      const top = before.items[0]?.item.id;
      expect(top).toBeDefined();
      const bought = top as string;

      const payload = await buy(gateway.url, { userId: 'buyer-1', itemId: bought, orderId: 'order-1' });
      expect(payload).toEqual({ userId: 'buyer-1', itemId: bought, orderId: 'order-1', invalidated: true });
      expect(model.purchases).toContainEqual({ userId: 'buyer-1', itemId: bought });

      if (redis !== undefined) {
        // Gone right after the mutation answered; only the version-independent user state remains.
        expect(await redisCli(redis.port, 'EXISTS', 'recs:{buyer-1}:v1')).toBe('0');
        expect(await keysOn(redis.port, 'recs:{buyer-1}*')).toEqual(['recs:{buyer-1}:state']);
      }

      const after = await readRecs(gateway.url, 'buyer-1', 100);
      expect(after.source).toBe('MODEL');
      expect(after.generatedAt).not.toBe(before.generatedAt);
      expect(itemIds(after)).not.toContain(bought);
      expect(after.items).toHaveLength(100);
      expect(after.items.map((item) => item.rank)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));

      const cachedAgain = await readRecs(gateway.url, 'buyer-1', 100);
      expect(cachedAgain.source).toBe('CACHE');
      expect(itemIds(cachedAgain)).not.toContain(bought);
      expect(cachedAgain.items).toEqual(after.items);
    });

    it("the payload's recommendations are computed after the purchase and exclude the bought item", async () => {
      const before = await cachedListOf('buyer-2');
      const bought = before.items[0]?.item.id as string;

      const payload = await buy(gateway.url, { userId: 'buyer-2', itemId: bought, orderId: 'order-2' }, true);
      expect(payload.invalidated).toBe(true);
      const list = payload.recommendations;
      expect(list).toBeDefined();
      expect(list?.source).toBe('MODEL');
      expect(list?.userId).toBe('buyer-2');
      expect(list?.items.length).toBeGreaterThan(0);
      expect(list?.items[0]?.rank).toBe(1);
      expect(itemIds(list!)).not.toContain(bought);
      expect(list?.generatedAt).not.toBe(before.generatedAt);

      // The list the payload computed was cached: the next read hits it.
      const next = await readRecs(gateway.url, 'buyer-2', 100);
      expect(next.source).toBe('CACHE');
      expect(itemIds(next)).not.toContain(bought);
      expect(next.generatedAt).toBe(list?.generatedAt);
    });

    it('a second purchase excludes both items; other users keep their cached lists', async () => {
      const bystander = await cachedListOf('bystander');
      const before = await cachedListOf('buyer-3');
      const first = before.items[0]?.item.id as string;
      const second = before.items[1]?.item.id as string;

      expect((await buy(gateway.url, { userId: 'buyer-3', itemId: first, orderId: 'o-3a' })).invalidated).toBe(true);
      expect((await readRecs(gateway.url, 'buyer-3', 100)).source).toBe('MODEL');
      expect((await buy(gateway.url, { userId: 'buyer-3', itemId: second, orderId: 'o-3b' })).invalidated).toBe(true);
      const after = await readRecs(gateway.url, 'buyer-3', 100);
      expect(after.source).toBe('MODEL');
      expect(itemIds(after)).not.toContain(first);
      expect(itemIds(after)).not.toContain(second);

      const bystanderAfter = await readRecs(gateway.url, 'bystander', 100);
      expect(bystanderAfter.source).toBe('CACHE');
      expect(bystanderAfter.generatedAt).toBe(bystander.generatedAt);
    });
  });
}
