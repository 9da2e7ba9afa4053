/**
 * The basic read path over real HTTP: a cold user is computed by the model (MODEL), the next read is a cache hit
 * (CACHE) with the very same list, its age grows with time, and `first` slices the served list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { startRedis } from '../support/redis-server.js';
import { Cleanups, itemIds, readRecs, sleep } from './helpers.js';

interface Backend {
  readonly name: string;
  /** Env for the gateway; may start a redis-server and register its cleanup. */
  env(cleanups: Cleanups): Promise<Record<string, string>>;
}

const backends: Backend[] = [
  { name: 'memory store', env: async () => ({}) },
  {
    name: 'Redis store',
    env: async (cleanups) => {
      const redis = await startRedis();
      cleanups.add(() => redis.stop());
      return { REDIS_URL: redis.url };
    },
  },
];

for (const backend of backends) {
  describe(`hit and miss (${backend.name})`, () => {
    const cleanups = new Cleanups();
    let gateway: InProcessGateway;

    beforeAll(async () => {
      const env = await backend.env(cleanups);
      gateway = await startGateway(env);
      cleanups.add(() => gateway.close());
    });

    afterAll(async () => {
      await cleanups.run();
    });

    it('uses the expected store', () => {
      expect(gateway.app.store.kind).toBe(backend.name === 'memory store' ? 'memory' : 'redis');
    });

    it('serves MODEL first, then CACHE with identical items, and the age grows', async () => {
      const first = await readRecs(gateway.url, 'hm-user-1');
      expect(first.source).toBe('MODEL');
      expect(first.userId).toBe('hm-user-1');
      expect(first.modelVersion).toBe('v1');
      expect(first.items).toHaveLength(20); // the schema's default `first`
      expect(first.items.map((item) => item.rank)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      expect(first.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(first.ageSeconds).toBeLessThan(1);

      const second = await readRecs(gateway.url, 'hm-user-1');
      expect(second.source).toBe('CACHE');
      expect(second.items).toEqual(first.items);
      expect(second.generatedAt).toBe(first.generatedAt);
      expect(second.modelVersion).toBe(first.modelVersion);

      // The scenario: a second of real time passes, and the served age must show it.
      await sleep(1_100);
      const third = await readRecs(gateway.url, 'hm-user-1');
      expect(third.source).toBe('CACHE');
      expect(third.items).toEqual(first.items);
      expect(third.generatedAt).toBe(first.generatedAt);
      expect(third.ageSeconds).toBeGreaterThan(second.ageSeconds);
      expect(third.ageSeconds).toBeGreaterThanOrEqual(1);
      // ageSeconds is serve time minus generatedAt, so it matches the wall clock within a generous margin.
      const expectedAge = (Date.now() - Date.parse(first.generatedAt)) / 1000;
      expect(Math.abs(third.ageSeconds - expectedAge)).toBeLessThan(1);
    });

    it('scores are ranked best first', async () => {
      const list = await readRecs(gateway.url, 'hm-user-2');
      const scores = list.items.map((item) => item.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(new Set(itemIds(list)).size).toBe(list.items.length);
    });

    it('first: 5 serves 5 items ranked 1..5, a prefix of the full list, from the same cached entry', async () => {
      const full = await readRecs(gateway.url, 'hm-user-3', 100);
      expect(full.source).toBe('MODEL');
      expect(full.items).toHaveLength(100);

      const five = await readRecs(gateway.url, 'hm-user-3', 5);
      expect(five.source).toBe('CACHE');
      expect(five.items).toHaveLength(5);
      expect(five.items.map((item) => item.rank)).toEqual([1, 2, 3, 4, 5]);
      expect(five.items).toEqual(full.items.slice(0, 5));
      expect(five.generatedAt).toBe(full.generatedAt);
    });

    it('first: 5 on a cold user is MODEL with 5 items, and the cache still holds the full list', async () => {
      const five = await readRecs(gateway.url, 'hm-user-4', 5);
      expect(five.source).toBe('MODEL');
      expect(five.items.map((item) => item.rank)).toEqual([1, 2, 3, 4, 5]);

      const fifty = await readRecs(gateway.url, 'hm-user-4', 50);
      expect(fifty.source).toBe('CACHE');
      expect(fifty.items).toHaveLength(50);
      expect(fifty.items.slice(0, 5)).toEqual(five.items);
    });

    it('different users get different lists', async () => {
      const a = await readRecs(gateway.url, 'hm-user-5');
      const b = await readRecs(gateway.url, 'hm-user-6');
      expect(itemIds(a)).not.toEqual(itemIds(b));
    });
  });
}
