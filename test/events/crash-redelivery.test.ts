/**
 * A gateway process killed with SIGKILL while it holds purchase events it has not acknowledged: the events stay in
 * JetStream, and a new gateway process (same durable consumer) gets them redelivered and applies them. Redis is
 * frozen (SIGSTOP) while the first gateway works on them, so they are provably delivered and unacknowledged at the
 * moment of the kill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { startNats } from '../support/nats-server.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups } from '../gateway/helpers.js';
import { eventsEnv, startCheckout, waitFor } from './helpers.js';
import type { Checkout } from './helpers.js';

const QUERY = 'query ($u: ID!) { recommendations(userId: $u, first: 50) { source items { item { id } } } }';

async function itemsOf(gateway: GatewayProcess, userId: string): Promise<string[]> {
  const { body } = await postGraphQL(gateway.url, QUERY, { u: userId });
  expect(body.errors).toBeUndefined();
  return (body.data?.recommendations as { items: Array<{ item: { id: string } }> }).items.map((entry) => entry.item.id);
}

async function settledEvents(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gateway.origin}/metrics`)).text();
  let total = 0;
  for (const outcome of ['applied', 'duplicate']) {
    const match = new RegExp(`^recs_purchase_events_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
    total += match === null ? 0 : Number(match[1]);
  }
  return total;
}

async function eventsConnected(gateway: GatewayProcess): Promise<boolean> {
  const body = (await (await fetch(`${gateway.origin}/readyz`)).json()) as { purchaseEvents?: { connected: boolean } };
  return body.purchaseEvents?.connected === true;
}

describe('a gateway killed with unacknowledged purchase events', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let checkout: Checkout;
  let natsUrl: string;

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    const nats = await startNats();
    natsUrl = nats.url;
    cleanups.add(() => nats.stop());
    checkout = await startCheckout(nats.url);
    cleanups.add(() => checkout.close());
  });

  afterAll(async () => {
    // A test that failed half-way must not leave Redis stopped for the cleanups.
    try {
      process.kill(redis.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    await cleanups.run();
  });

  it(
    'hands them to the next gateway, which applies them (redelivery after the ack wait)',
    { timeout: 90_000 },
    async () => {
      // A long Redis timeout keeps the first gateway inside record() for as long as Redis is frozen.
      const first = await startGatewayProcess({
        REDIS_URL: redis.url,
        REDIS_TIMEOUT_MS: '20000',
        LOG_LEVEL: 'warn',
        ...eventsEnv(natsUrl, 2),
      });
      cleanups.add(() => first.stop('SIGKILL'));
      await waitFor('the first gateway to connect its consumer', () => eventsConnected(first));

      const users = ['crash-0', 'crash-1', 'crash-2'];
      const bought = new Map<string, string>();
      for (const user of users) bought.set(user, (await itemsOf(first, user))[0] as string);

      process.kill(redis.pid, 'SIGSTOP');
      for (const user of users)
        await checkout.purchase({ orderId: `crash-order-${user}`, userId: user, itemId: bought.get(user) as string });
      await waitFor(
        'all three to be delivered and left unacknowledged',
        async () => (await checkout.consumer()).num_ack_pending === 3,
      );

      expect(await first.stop('SIGKILL')).toBeNull();
      process.kill(redis.pid, 'SIGCONT');
      expect((await checkout.consumer()).num_ack_pending).toBe(3);

      const second = await startGatewayProcess({ REDIS_URL: redis.url, LOG_LEVEL: 'warn', ...eventsEnv(natsUrl, 2) });
      cleanups.add(() => second.stop());
      await waitFor('the second gateway to settle all three', async () => (await settledEvents(second)) === 3, 30_000);
      await waitFor('nothing left unacknowledged', async () => {
        const info = await checkout.consumer();
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
      for (const user of users) expect(await itemsOf(second, user)).not.toContain(bought.get(user));
    },
  );
});
