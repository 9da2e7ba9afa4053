/**
 * Purchase events from NATS JetStream into a real gateway (real redis-server, real nats-server, both on ports the
 * test picked): an event invalidates the user's list as the mutation does, duplicates are applied once, bad events
 * are counted and set aside without blocking the stream, and a JetStream restart mid-stream loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { startNats } from '../support/nats-server.js';
import type { NatsProcess } from '../support/nats-server.js';
import { startRedis } from '../support/redis-server.js';
import { Cleanups, CountingModel, itemIds, readRecs } from '../gateway/helpers.js';
import {
  CONSUMER,
  DEAD_LETTER,
  SUBJECT,
  collectDeadLetters,
  eventOutcomes,
  eventsEnv,
  startCheckout,
  waitFor,
} from './helpers.js';
import type { Checkout } from './helpers.js';

describe('purchase events from JetStream', () => {
  const cleanups = new Cleanups();
  let nats: NatsProcess;
  let gateway: InProcessGateway;
  let model: CountingModel;
  let checkout: Checkout;

  beforeAll(async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    nats = await startNats();
    cleanups.add(() => nats.stop());
    checkout = await startCheckout(nats.url);
    cleanups.add(() => checkout.close());
    model = CountingModel.builtin('v1');
    gateway = await startGateway({ REDIS_URL: redis.url, ...eventsEnv(nats.url) }, { model });
    cleanups.add(() => gateway.close());
    await waitFor('the consumer to connect', () => gateway.app.purchaseEvents?.connected() === true);
  });

  afterAll(async () => {
    await cleanups.run();
  });

  /** Reads the user twice so the list is cached, and returns its top item. */
  async function cachedTopItem(userId: string): Promise<string> {
    await readRecs(gateway.url, userId, 50);
    const cached = await readRecs(gateway.url, userId, 50);
    expect(cached.source).toBe('CACHE');
    return cached.items[0]?.item.id as string;
  }

  async function appliedCount(): Promise<number> {
    return (await eventOutcomes(gateway)).applied;
  }

  it('reports the consumer as connected in /readyz and /metrics without changing readiness', async () => {
    const response = await fetch(`${gateway.origin}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ready: true,
      status: 'ready',
      purchaseEvents: { source: 'jetstream', connected: true },
    });
    const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
    expect(metrics).toMatch(/^recs_purchase_events_connected 1$/m);
    const info = await checkout.consumer();
    expect(info.name).toBe(CONSUMER);
    expect(info.config.ack_policy).toBe('explicit');
    expect(info.config.durable_name).toBe(CONSUMER);
  });

  it("an event invalidates the buyer's list: the next GraphQL read no longer shows the bought item", async () => {
    const bought = await cachedTopItem('ev-buyer-1');
    const applied = await appliedCount();

    await checkout.purchase({ orderId: 'ev-order-1', userId: 'ev-buyer-1', itemId: bought });
    await waitFor('the event to be applied', async () => (await appliedCount()) === applied + 1);

    expect(model.purchases).toContainEqual({ userId: 'ev-buyer-1', itemId: bought });
    const after = await readRecs(gateway.url, 'ev-buyer-1', 50);
    expect(after.source).toBe('MODEL');
    expect(itemIds(after)).not.toContain(bought);
    // Acknowledged: nothing left pending on the server.
    await waitFor('the ack to reach the server', async () => (await checkout.consumer()).num_ack_pending === 0);
    expect((await checkout.consumer()).num_pending).toBe(0);
  });

  it('applies an orderId once however often it is published', async () => {
    const bought = await cachedTopItem('ev-buyer-2');
    const before = await eventOutcomes(gateway);
    const modelCallsBefore = model.purchases.length;

    for (let copy = 0; copy < 5; copy += 1) {
      await checkout.purchase({ orderId: 'ev-order-2', userId: 'ev-buyer-2', itemId: bought });
    }
    await waitFor('all five copies to be settled', async () => {
      const now = await eventOutcomes(gateway);
      return now.applied + now.duplicate === before.applied + before.duplicate + 5;
    });

    const after = await eventOutcomes(gateway);
    expect(after.applied - before.applied).toBe(1);
    expect(after.duplicate - before.duplicate).toBe(4);
    expect(model.purchases.slice(modelCallsBefore)).toEqual([{ userId: 'ev-buyer-2', itemId: bought }]);
    expect(itemIds(await readRecs(gateway.url, 'ev-buyer-2', 50))).not.toContain(bought);
  });

  it('counts malformed and conflicting events, sets them aside on the dead-letter subject, and keeps the stream flowing', async () => {
    const deadLetters = collectDeadLetters(checkout.nc);
    await checkout.nc.flush();
    const bought = await cachedTopItem('ev-buyer-3');
    const before = await eventOutcomes(gateway);

    await checkout.publishRaw('this is not json');
    await checkout.publishRaw(
      JSON.stringify({ orderId: 'ev-bad-1', userId: 'u{1}', itemId: 'i-1', occurredAt: new Date().toISOString() }),
    );
    await checkout.publishRaw(JSON.stringify({ orderId: 'ev-bad-2', userId: 'u-1', itemId: 'i-1' }));
    await checkout.publishRaw(
      JSON.stringify({ orderId: 'ev-bad-3', userId: 'u-1', itemId: 'i-1', occurredAt: '2026-11-29 14:00' }),
    );
    await checkout.publishRaw(
      JSON.stringify({
        orderId: 'ev-bad-4',
        userId: 'u-1',
        itemId: 'i-1',
        occurredAt: new Date().toISOString(),
        pad: 'x'.repeat(5000),
      }),
    );
    await checkout.publishRaw(JSON.stringify([1, 2, 3]));
    // Same orderId as an earlier, applied purchase, for another user: a conflict, never applied.
    await checkout.purchase({ orderId: 'ev-order-1', userId: 'ev-someone-else', itemId: bought });
    // A good event behind all of them still flows.
    await checkout.purchase({ orderId: 'ev-order-3', userId: 'ev-buyer-3', itemId: bought });

    await waitFor(
      'the good event behind the bad ones to be applied',
      async () => (await eventOutcomes(gateway)).applied === before.applied + 1,
    );
    await waitFor('every bad event to be counted', async () => {
      const now = await eventOutcomes(gateway);
      return now.malformed === before.malformed + 6 && now.conflict === before.conflict + 1;
    });
    expect(itemIds(await readRecs(gateway.url, 'ev-buyer-3', 50))).not.toContain(bought);
    expect(model.purchases).not.toContainEqual({ userId: 'ev-someone-else', itemId: bought });

    // Set aside for good: terminated, so nothing is pending or waiting for redelivery.
    await waitFor('nothing left pending', async () => {
      const info = await checkout.consumer();
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    await waitFor('the dead letters to arrive', () => deadLetters.length === 7, 5_000);
    const outcomes = deadLetters.map((message) => message.headers?.get('Recs-Rejected-Outcome')).sort();
    expect(outcomes).toEqual([
      'conflict',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
    ]);
    const notJson = deadLetters.find((message) => message.string() === 'this is not json');
    expect(notJson?.headers?.get('Recs-Rejected-Reason')).toBe('event is not UTF-8 JSON');
    expect(notJson?.headers?.get('Recs-Source-Subject')).toBe(SUBJECT);
    expect(deadLetters.every((message) => message.subject === DEAD_LETTER)).toBe(true);
  });

  it('sets aside an event for an item the catalogue does not have, as the mutation refuses it, and records nothing', async () => {
    const deadLetters = collectDeadLetters(checkout.nc);
    await checkout.nc.flush();
    const top = await cachedTopItem('ev-buyer-4');
    const before = await eventOutcomes(gateway);

    await checkout.purchase({ orderId: 'ev-order-4', userId: 'ev-buyer-4', itemId: 'no-such-item' });

    await waitFor(
      'the event to be counted',
      async () => (await eventOutcomes(gateway)).malformed === before.malformed + 1,
    );
    const after = await eventOutcomes(gateway);
    expect(after.applied).toBe(before.applied);
    expect(model.purchases).not.toContainEqual({ userId: 'ev-buyer-4', itemId: 'no-such-item' });
    // Nothing was invalidated: the list is still served from cache, with its top item.
    const list = await readRecs(gateway.url, 'ev-buyer-4', 50);
    expect(list.source).toBe('CACHE');
    expect(list.items[0]?.item.id).toBe(top);
    await waitFor('the dead letter to arrive', () => deadLetters.length === 1, 5_000);
    expect(deadLetters[0]?.headers?.get('Recs-Rejected-Reason')).toMatch(/not an item in the catalogue/);
  });

  it('loses nothing when JetStream restarts mid-stream: events published before and after are all applied', async () => {
    const users = Array.from({ length: 6 }, (_, index) => `ev-restart-${index}`);
    const bought = new Map<string, string>();
    for (const user of users) bought.set(user, await cachedTopItem(user));
    const before = await eventOutcomes(gateway);

    for (const user of users.slice(0, 3))
      await checkout.purchase({ orderId: `ev-r-${user}`, userId: user, itemId: bought.get(user) as string });
    await nats.restart();
    for (const user of users.slice(3))
      await checkout.purchase({ orderId: `ev-r-${user}`, userId: user, itemId: bought.get(user) as string });

    await waitFor(
      'all six events to be applied',
      async () => {
        const now = await eventOutcomes(gateway);
        return now.applied + now.duplicate - before.applied - before.duplicate === 6;
      },
      30_000,
    );
    await waitFor('the consumer to report connected again', () => gateway.app.purchaseEvents?.connected() === true);
    for (const user of users) expect(itemIds(await readRecs(gateway.url, user, 50))).not.toContain(bought.get(user));
    for (const user of users) expect(model.purchases).toContainEqual({ userId: user, itemId: bought.get(user) });
    await waitFor('nothing left pending after the restart', async () => {
      const info = await checkout.consumer();
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  });
});
