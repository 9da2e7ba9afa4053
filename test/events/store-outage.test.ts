/**
 * The store is down when purchase events arrive: they must not be acknowledged, but redelivered until the store is
 * back, and then applied, so that the list Redis kept through the outage (AOF) no longer shows the bought item.
 *
 * This depends on `PurchaseService.record()` rejecting (a retryable error) when the purchase could not be applied
 * to the store; while record() resolves despite a store failure, the event is acknowledged at once and this test
 * fails on `redelivered`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { startNats } from '../support/nats-server.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, CountingModel, itemIds, readRecs } from '../gateway/helpers.js';
import { eventOutcomes, eventsEnv, startCheckout, waitFor } from './helpers.js';
import type { Checkout } from './helpers.js';

describe('purchase events while the store is down', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let gateway: InProcessGateway;
  let checkout: Checkout;

  beforeAll(async () => {
    // AOF with fsync on every write: what Redis held before the crash is there again after the restart.
    redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    cleanups.add(() => redis.stop());
    const nats = await startNats();
    cleanups.add(() => nats.stop());
    checkout = await startCheckout(nats.url);
    cleanups.add(() => checkout.close());
    gateway = await startGateway(
      { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '300', ...eventsEnv(nats.url) },
      { model: CountingModel.builtin('v1') },
    );
    cleanups.add(() => gateway.close());
    await waitFor('the consumer to connect', () => gateway.app.purchaseEvents?.connected() === true);
  });

  afterAll(async () => {
    await cleanups.run();
  });

  const outcomes = async () => `event outcomes: ${JSON.stringify(await eventOutcomes(gateway))}`;

  it('redelivers the events until the store is back, then applies them', async () => {
    const users = ['outage-0', 'outage-1'];
    const bought = new Map<string, string>();
    for (const user of users) {
      await readRecs(gateway.url, user, 50);
      const cached = await readRecs(gateway.url, user, 50);
      expect(cached.source).toBe('CACHE');
      bought.set(user, cached.items[0]?.item.id as string);
    }

    await redis.kill();
    for (const user of users)
      await checkout.purchase({ orderId: `outage-order-${user}`, userId: user, itemId: bought.get(user) as string });
    await waitFor(
      'each event to be handed back at least twice',
      async () => (await eventOutcomes(gateway)).redelivered >= 4,
      20_000,
      outcomes,
    );
    const during = await eventOutcomes(gateway);
    expect(during.applied + during.duplicate).toBe(0);
    expect((await checkout.consumer()).num_ack_pending).toBe(2);

    await redis.restart();
    await waitFor(
      'both events to be applied once the store is back',
      async () => {
        const now = await eventOutcomes(gateway);
        return now.applied + now.duplicate === 2;
      },
      30_000,
      outcomes,
    );
    await waitFor('nothing left unacknowledged', async () => {
      const info = await checkout.consumer();
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    for (const user of users) expect(itemIds(await readRecs(gateway.url, user, 50))).not.toContain(bought.get(user));
  });
});
