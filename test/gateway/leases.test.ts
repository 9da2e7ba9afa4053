/**
 * Leases fit the TTL they guard, on a real redis-server: a lease never outlives the shortest fresh TTL, so it has
 * lapsed before the list it guarded goes stale, and a stale-while-revalidate refresh is not kept out by the lease of the computation that wrote the
 * stale list, and a read after expiry does not wait on its own process's lease.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { Model, RankedList } from '../../src/model/model.js';
import { Cleanups, readRecs, sleep } from './helpers.js';
import { waitFor } from '../support/wait.js';

/** The built-in model, taking `delayMs` longer for every computation. */
class SlowModel implements Model {
  readonly #inner = new BuiltinModel({ version: 'v1' });
  constructor(private readonly delayMs: number) {}
  currentVersion(): string {
    return this.#inner.currentVersion();
  }
  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    await sleep(this.delayMs);
    return this.#inner.scoreAndRank(userIds, limit);
  }
  async recordPurchase(userId: string, itemId: string): Promise<void> {
    return this.#inner.recordPurchase(userId, itemId);
  }
  async close(): Promise<void> {
    return this.#inner.close();
  }
}

describe('leases fit the TTL', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  async function setUp(
    env: Record<string, string>,
    model: Model = new SlowModel(0),
  ): Promise<{ redis: RedisProcess; gateway: InProcessGateway }> {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const gateway = await startGateway({ REDIS_URL: redis.url, ...env }, { model });
    cleanups.add(() => gateway.close());
    return { redis, gateway };
  }

  it('a lease lasts no longer than the shortest fresh TTL, so it lapses before the list it guarded can go stale', async () => {
    const { redis, gateway } = await setUp({ CACHE_TTL_SECONDS: '2' }, new SlowModel(400));
    const reading = readRecs(gateway.url, 'leased', 5);
    // The slow model holds the computation open: look once the lease is there.
    let pttl = -2;
    await waitFor('the recompute lease to be taken', async () => {
      pttl = Number(await redisCli(redis.port, 'PTTL', 'recs:{leased}:v1:lease'));
      return pttl > 0;
    });
    // 2 s TTL with ±10% jitter: no list is fresh for less than 1.8 s, so no lease may last longer.
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_800);
    expect((await reading).source).toBe('MODEL');
    // Kept after the write (a replica that missed just before it reads the list instead of computing it again), but
    // only until it lapses, which is before the list's shortest fresh TTL is over.
    const left = Number(await redisCli(redis.port, 'PTTL', 'recs:{leased}:v1:lease'));
    expect(left).toBeLessThan(pttl);
    expect(await redisCli(redis.port, 'EXISTS', 'recs:{leased}:v1')).toBe('1');
  });

  it('a stale list is refreshed at once (CACHE_TTL_SECONDS=2): the refresh is not kept out by an old lease', async () => {
    const { gateway } = await setUp({ CACHE_TTL_SECONDS: '2', CACHE_GRACE_SECONDS: '60' });
    const first = await readRecs(gateway.url, 'swr', 5);
    expect(first.source).toBe('MODEL');
    // The scenario: the list's real 2 s TTL (±10%) lapses on the gateway's clock.
    await sleep(2_400);
    expect((await readRecs(gateway.url, 'swr', 5)).source).toBe('STALE');
    // The refresh runs off the request path; it must land within moments, not after a 10 s lease.
    let next = await readRecs(gateway.url, 'swr', 5);
    await waitFor(
      'the background refresh to be served from cache',
      async () => {
        next = await readRecs(gateway.url, 'swr', 5);
        return next.source === 'CACHE';
      },
      1_000,
      () => `last source ${next.source}`,
    );
    expect(next.source).toBe('CACHE');
    expect(next.generatedAt).not.toBe(first.generatedAt);
  });

  it('a read after expiry without grace (CACHE_GRACE_SECONDS=0) does not wait on its own lease', async () => {
    const { gateway } = await setUp({ CACHE_TTL_SECONDS: '2', CACHE_GRACE_SECONDS: '0' });
    expect((await readRecs(gateway.url, 'nograce', 5)).source).toBe('MODEL');
    // The scenario: the list's real 2 s TTL (±10%) lapses.
    await sleep(2_400);
    const started = performance.now();
    expect((await readRecs(gateway.url, 'nograce', 5)).source).toBe('MODEL');
    expect(performance.now() - started).toBeLessThan(500);
  });
});
