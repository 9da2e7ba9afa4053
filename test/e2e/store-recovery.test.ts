/**
 * Nothing stale after a store fault, even when checkout never retries. Two gateways share one redis-server (with
 * its AOF); gateway A takes a purchase while Redis is killed, frozen (SIGSTOP) or paused (`CLIENT PAUSE`). A answers
 * STORE_UNAVAILABLE (or, if the store took it after all, applied), never serves the bought item itself, and applies
 * the purchase as soon as Redis answers again; from then on, reads on both replicas are polled: no bought item may be
 * served later than one second after Redis answers. A retry with the same orderId completes as a duplicate of the
 * applied order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, CountingModel, PURCHASE_MUTATION, READ_QUERY, describeBody, sleep } from '../gateway/helpers.js';
import type { RecList } from '../gateway/helpers.js';

const REDIS_TIMEOUT_MS = 300;
const RECOVERY_BOUND_MS = 1_000;
const WATCH_MS = 2_500;

interface Fault {
  readonly name: string;
  /** Starts the fault; resolves with a function that ends it and resolves when Redis answers again. */
  start(redis: RedisProcess): Promise<() => Promise<void>>;
}

const faults: Fault[] = [
  {
    name: 'killed, restarted with its AOF',
    async start(redis) {
      await redis.kill();
      return async () => redis.restart();
    },
  },
  {
    name: 'frozen (SIGSTOP, then SIGCONT)',
    async start(redis) {
      process.kill(redis.pid, 'SIGSTOP');
      return async () => {
        process.kill(redis.pid, 'SIGCONT');
      };
    },
  },
  {
    name: 'paused (CLIENT PAUSE ALL)',
    async start(redis) {
      await redisCli(redis.port, 'CLIENT', 'PAUSE', '1500', 'ALL');
      return async () => {
        // The pause ends by itself; a PING is held by it like every command, so its answer is Redis answering again.
        await redisCli(redis.port, 'PING');
      };
    },
  },
];

async function read(gateway: InProcessGateway, userId: string): Promise<string[]> {
  const { body } = await postGraphQL(gateway.url, READ_QUERY, { userId, first: 100 });
  expect(body.errors, describeBody(body)).toBeUndefined();
  return (body.data?.recommendations as RecList).items.map((item) => item.item.id);
}

async function purchase(
  gateway: InProcessGateway,
  input: { userId: string; itemId: string; orderId: string },
): Promise<GraphQLBody> {
  return (
    await postGraphQL(gateway.url, PURCHASE_MUTATION.replace('invalidated }', 'invalidated duplicate }'), { input })
  ).body;
}

describe('after a store fault, no replica serves a bought item for long', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  for (const fault of faults) {
    it(`Redis ${fault.name}: the purchase lands within ${RECOVERY_BOUND_MS} ms of Redis answering, with no retry`, async () => {
      const redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
      cleanups.add(() => redis.stop());
      const start = async () => {
        const gateway = await startGateway(
          { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS) },
          { model: CountingModel.builtin('v1') },
        );
        cleanups.add(() => gateway.close());
        return gateway;
      };
      const [a, b] = [await start(), await start()];
      const userId = 'recovering';
      const bought = (await read(a, userId))[0] as string;
      expect(await read(b, userId)).toContain(bought);

      const end = await fault.start(redis);
      const answer = await purchase(a, { userId, itemId: bought, orderId: 'order-recovery' });
      if (answer.errors !== undefined) {
        expect(answer.errors[0]?.extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
      }
      // The replica that took the purchase never shows the item again, outage or not.
      expect(await read(a, userId)).not.toContain(bought);

      await end();
      const answeredAt = performance.now();
      const late: Array<{ replica: string; afterMs: number }> = [];
      while (performance.now() - answeredAt < WATCH_MS) {
        for (const [replica, gateway] of [
          ['A', a],
          ['B', b],
        ] as const) {
          const items = await read(gateway, userId);
          if (items.includes(bought)) late.push({ replica, afterMs: Math.round(performance.now() - answeredAt) });
        }
        await sleep(10); // the sampling interval of the watch: reads are the scenario, for WATCH_MS
      }
      expect(late.filter((served) => served.replica === 'A')).toEqual([]);
      expect(
        late.filter((served) => served.afterMs > RECOVERY_BOUND_MS),
        JSON.stringify(late),
      ).toEqual([]);

      // Applied by A on its own: the store remembers the item, the order is done, A holds nothing any more.
      const state = JSON.parse(await redisCli(redis.port, 'GET', `recs:{${userId}}:state`)) as {
        bought: Array<[string, number]>;
      };
      expect(state.bought.map(([itemId]) => itemId)).toContain(bought);
      expect(JSON.parse(await redisCli(redis.port, 'GET', 'recs:order:order-recovery'))).toMatchObject({
        s: 'done',
        v: true,
      });
      expect(sumOf(await scrape(a.origin), 'recs_purchase_outbox_size')).toBe(0);

      // A late retry from checkout is a duplicate of the applied order.
      const retry = await purchase(a, { userId, itemId: bought, orderId: 'order-recovery' });
      expect(retry.errors, describeBody(retry)).toBeUndefined();
      expect(retry.data?.recordPurchase).toMatchObject({ invalidated: true, duplicate: true });
    });
  }
});
