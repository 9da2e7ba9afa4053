/**
 * The contract a purchase-event consumer relies on, in code rather than over GraphQL, against a real redis-server:
 * `record()` resolves only once the purchase is applied to the store (order done, item remembered, generation
 * bumped, list gone), and otherwise rejects with `PurchaseNotAppliedError` (STORE_UNAVAILABLE, `retryable: true`);
 * a redelivery of the same order after that completes it and is a duplicate only once applied.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GuardedStore } from '../../src/cache/guarded-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { ConflictError, ErrorCode, PurchaseNotAppliedError } from '../../src/errors.js';
import { PurchaseService } from '../../src/purchases/purchase-service.js';
import { silentLogger } from '../../src/telemetry/events.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import { Cleanups } from '../gateway/helpers.js';
import { builtinModel, createService } from '../recs/service-fixture.js';
import { sleep } from '../support/wait.js';

describe('PurchaseService.record against a real Redis', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  async function setUp() {
    const redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    cleanups.add(() => redis.stop());
    const raw = new RedisStore({ url: redis.url, timeoutMs: 300, onError: () => {} });
    cleanups.add(() => raw.close());
    const store = new GuardedStore(raw, { failureThreshold: 3, coolDownMs: 100 });
    const recommendations = createService(store, builtinModel(), { storeBudgetMs: 300 });
    const purchases = new PurchaseService({
      orders: store,
      recommendations,
      keyPrefix: '',
      orderRetentionMs: 60_000,
      logger: silentLogger,
    });
    return { redis, store, recommendations, purchases };
  }

  it('resolves once applied; rejects retryably when the store is down; the redelivery completes the order', async () => {
    const { redis, store, recommendations, purchases } = await setUp();
    await recommendations.loadMany(['buyer']);
    expect(await redisCli(redis.port, 'EXISTS', 'recs:{buyer}:v1')).toBe('1');

    await expect(purchases.record('buyer', 'item-1', 'order-1')).resolves.toEqual({
      userId: 'buyer',
      itemId: 'item-1',
      orderId: 'order-1',
      invalidated: true,
      duplicate: false,
    });
    // Applied before record() resolved: nothing to wait for.
    expect(await redisCli(redis.port, 'EXISTS', 'recs:{buyer}:v1')).toBe('0');
    const [snapshot] = await store.readMany([userKeys('', 'buyer', 'v1')]);
    expect(snapshot?.state).toMatchObject({ generation: 1, bought: [{ itemId: 'item-1' }] });
    expect(JSON.parse(await redisCli(redis.port, 'GET', 'recs:order:order-1'))).toMatchObject({ s: 'done', v: true });

    await redis.kill();
    const failure = await purchases.record('buyer', 'item-2', 'order-2').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PurchaseNotAppliedError);
    expect((failure as PurchaseNotAppliedError).retryable).toBe(true);
    expect((failure as PurchaseNotAppliedError).extensions).toMatchObject({
      code: ErrorCode.STORE_UNAVAILABLE,
      retryable: true,
      retryAfterSeconds: 1,
    });

    await redis.restart();
    // A consumer redelivers until it resolves: the first resolution is the applied order, never an unapplied duplicate.
    let redelivered: unknown;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      redelivered = await purchases.record('buyer', 'item-2', 'order-2').catch((error: unknown) => error);
      if (!(redelivered instanceof Error)) break;
      await sleep(50); // the consumer's redelivery interval: the redeliveries are the scenario
    }
    expect(redelivered).toMatchObject({ orderId: 'order-2', invalidated: true });
    const state = JSON.parse(await redisCli(redis.port, 'GET', 'recs:{buyer}:state')) as {
      gen: number;
      bought: Array<[string, number]>;
    };
    expect(state.bought.map(([itemId]) => itemId)).toEqual(['item-2', 'item-1']);
    expect(JSON.parse(await redisCli(redis.port, 'GET', 'recs:order:order-2'))).toMatchObject({ s: 'done', v: true });
    await expect(purchases.record('buyer', 'item-2', 'order-2')).resolves.toMatchObject({
      duplicate: true,
      invalidated: true,
    });
  });

  it('says which calls did no new work: a replay of a done order, or an order this process already held', async () => {
    const { purchases } = await setUp();
    const held = new Set(['order-held']);
    purchases.holdFailuresIn({ hold: () => {}, holds: (orderId) => held.has(orderId), release: (o) => held.delete(o) });
    // The budget's refunds rest on these flags (graphql/resolvers.ts): a first purchase carries neither.
    const first = await purchases.record('buyer', 'item-1', 'order-new');
    expect(first).not.toHaveProperty('replay');
    expect(first).not.toHaveProperty('completedHeld');
    await expect(purchases.record('buyer', 'item-1', 'order-new')).resolves.toMatchObject({
      duplicate: true,
      replay: true,
    });
    // Held here (a first attempt the store did not take): the retry applies it, as the outbox would have.
    const retry = await purchases.record('buyer', 'item-2', 'order-held');
    expect(retry).toMatchObject({ duplicate: false, completedHeld: true });
    expect(retry).not.toHaveProperty('replay');
    expect(held.has('order-held')).toBe(false);
  });

  it('the same orderId for another item is a conflict, not retryable', async () => {
    const { purchases } = await setUp();
    await purchases.record('buyer', 'item-1', 'order-x');
    await expect(purchases.record('buyer', 'item-9', 'order-x')).rejects.toBeInstanceOf(ConflictError);
  });
});
