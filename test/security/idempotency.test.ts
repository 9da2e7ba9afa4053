/**
 * Idempotent purchases against a private redis-server: a retried orderId is reported as a duplicate
 * and records nothing twice (the state key's bought list and generation prove it), the cache stays consistent, the
 * same orderId for another user or item is a CONFLICT, and concurrent retries across two gateway processes on one
 * Redis see exactly one first attempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess, InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, startRedisGateway } from '../gateway/helpers.js';
import type { CountingModel } from '../gateway/helpers.js';
import { PURCHASE_MUTATION, READ_QUERY, gql } from './helpers.js';
import type { RawResponse } from './helpers.js';
import type { PurchaseResult } from '../../src/purchases/purchase-result.js';

/** The mutation's payload, as the GraphQL answer carries it. */
type Payload = PurchaseResult;
interface ListBody {
  userId: string;
  source: string;
  items: Array<{ rank: number; item: { id: string } }>;
}
interface StateValue {
  gen: number;
  bought: Array<[string, number]>;
}

async function purchase(url: string, input: { userId: string; itemId: string; orderId: string }): Promise<RawResponse> {
  return gql(url, PURCHASE_MUTATION, { input });
}

function payloadOf(response: RawResponse): Payload {
  expect(response.errors, response.text.slice(0, 500)).toEqual([]);
  expect(response.status).toBe(200);
  return (response.data as { recordPurchase: Payload }).recordPurchase;
}

async function read(url: string, userId: string): Promise<ListBody> {
  const response = await gql(url, READ_QUERY, { userId, first: 100 });
  expect(response.errors, response.text.slice(0, 500)).toEqual([]);
  return (response.data as { recommendations: ListBody }).recommendations;
}

async function stateOf(redis: RedisProcess, userId: string): Promise<{ raw: string; value: StateValue | undefined }> {
  const raw = await redisCli(redis.port, 'GET', `recs:{${userId}}:state`);
  return { raw, value: raw === '' ? undefined : (JSON.parse(raw) as StateValue) };
}

async function orderRecord(redis: RedisProcess, orderId: string): Promise<Record<string, unknown> | undefined> {
  const raw = await redisCli(redis.port, 'GET', `recs:order:${orderId}`);
  return raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
}

function countOf(state: StateValue | undefined, itemId: string): number {
  return (state?.bought ?? []).filter(([bought]) => bought === itemId).length;
}

describe('one gateway on Redis: retries of one orderId', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    ({ redis, gateway, model } = await startRedisGateway(cleanups));
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('the same orderId twice (same user and item): the second is a duplicate, recorded once, generation bumped once', async () => {
    const userId = 'idem-u1';
    const before = await read(gateway.url, userId);
    const itemId = before.items[0]?.item.id as string;
    expect(itemId).toBeDefined();
    expect((await stateOf(redis, userId)).value).toBeUndefined();
    model.reset();

    const first = payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-1001' }));
    expect(first).toEqual({ userId, itemId, orderId: 'order-1001', invalidated: true, duplicate: false });
    const afterFirst = await stateOf(redis, userId);
    expect(afterFirst.value?.gen).toBe(1);
    expect(countOf(afterFirst.value, itemId)).toBe(1);
    expect(await orderRecord(redis, 'order-1001')).toEqual({ u: userId, i: itemId, s: 'done', v: true });
    // Remembered for the retention window (a week), not forever.
    const ttl = Number(await redisCli(redis.port, 'PTTL', 'recs:order:order-1001'));
    expect(ttl).toBeGreaterThan(6 * 24 * 3600 * 1000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);

    // The list after the purchase: recomputed, without the bought item, then cached.
    const recomputed = await read(gateway.url, userId);
    expect(recomputed.source).toBe('MODEL');
    expect(recomputed.items.map((entry) => entry.item.id)).not.toContain(itemId);
    const entryKey = `recs:{${userId}}:v1`;
    const cachedEntry = await redisCli(redis.port, 'GET', entryKey);
    expect(cachedEntry).not.toBe('');

    const second = payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-1001' }));
    expect(second).toEqual({ ...first, duplicate: true });
    // Nothing recorded twice: the state is byte for byte what the first purchase left, the model learnt it once.
    expect((await stateOf(redis, userId)).raw).toBe(afterFirst.raw);
    expect(model.purchases).toEqual([{ userId, itemId }]);
    // ...and the duplicate did not clear the list computed after the first purchase: still cached, still consistent.
    expect(await redisCli(redis.port, 'GET', entryKey)).toBe(cachedEntry);
    const after = await read(gateway.url, userId);
    expect(after.source).toBe('CACHE');
    expect(after.items.map((entry) => entry.item.id)).toEqual(recomputed.items.map((entry) => entry.item.id));

    // A third retry is still a duplicate.
    expect(payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-1001' })).duplicate).toBe(true);
    expect((await stateOf(redis, userId)).value?.gen).toBe(1);
  });

  it('a new orderId for the same user and item is a new purchase (the orderId is the key, not the item)', async () => {
    const userId = 'idem-u2';
    const list = await read(gateway.url, userId);
    const itemId = list.items[0]?.item.id as string;
    expect(payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-2001' })).duplicate).toBe(false);
    expect(payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-2002' })).duplicate).toBe(false);
    const state = (await stateOf(redis, userId)).value;
    expect(state?.gen).toBe(2);
    // The bought list is a set: the item once, however often it was bought.
    expect(countOf(state, itemId)).toBe(1);
  });

  it('the same orderId for another user or another item → CONFLICT, and nothing is recorded for either', async () => {
    const userId = 'idem-u3';
    const other = 'idem-u4';
    const list = await read(gateway.url, userId);
    const itemId = list.items[0]?.item.id as string;
    const otherItem = list.items[1]?.item.id as string;
    expect(payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-3001' })).duplicate).toBe(false);
    const stateBefore = (await stateOf(redis, userId)).raw;
    model.reset();

    for (const input of [
      { userId: other, itemId, orderId: 'order-3001' },
      { userId, itemId: otherItem, orderId: 'order-3001' },
      { userId: other, itemId: otherItem, orderId: 'order-3001' },
    ]) {
      const response = await purchase(gateway.url, input);
      expect(response.status).toBe(200);
      expect(response.code, JSON.stringify(input)).toBe('CONFLICT');
      expect(response.data).toBeNull();
      expect(response.errors[0]?.message).toMatch(/order-3001 was already recorded for a different user or item/);
    }
    expect(model.purchases).toEqual([]);
    expect((await stateOf(redis, userId)).raw).toBe(stateBefore);
    expect((await stateOf(redis, other)).value).toBeUndefined();
    expect(await orderRecord(redis, 'order-3001')).toEqual({ u: userId, i: itemId, s: 'done', v: true });
    // The original purchase is still recognised as a duplicate after the conflicts.
    expect(payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'order-3001' })).duplicate).toBe(true);
  });
});

describe('one gateway on Redis: an order left pending by a crashed attempt', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    ({ redis, gateway, model } = await startRedisGateway(cleanups));
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('a retry waits for the pending attempt, then (it never finishes) completes the work itself, once', async () => {
    const userId = 'crashed-u1';
    const itemId = (await read(gateway.url, userId)).items[0]?.item.id as string;
    // What a gateway that died between claiming the order and finishing it leaves behind.
    const pending = JSON.stringify({ u: userId, i: itemId, s: 'pending', v: false });
    expect(await redisCli(redis.port, 'SET', 'recs:order:crashed-1', pending, 'PX', 60_000)).toBe('OK');
    model.reset();
    const started = Date.now();
    const retry = payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'crashed-1' }));
    // It waited for the first attempt (about 2 s) before taking over.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(retry).toEqual({ userId, itemId, orderId: 'crashed-1', invalidated: true, duplicate: true });
    expect(model.purchases).toEqual([{ userId, itemId }]);
    const state = (await stateOf(redis, userId)).value;
    expect(state?.gen).toBe(1);
    expect(countOf(state, itemId)).toBe(1);
    expect(await orderRecord(redis, 'crashed-1')).toEqual({ u: userId, i: itemId, s: 'done', v: true });
    expect((await read(gateway.url, userId)).items.map((entry) => entry.item.id)).not.toContain(itemId);
    // From now on it is an ordinary finished order: an immediate duplicate.
    const again = Date.now();
    expect(payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'crashed-1' })).duplicate).toBe(true);
    expect(Date.now() - again).toBeLessThan(1_000);
    expect((await stateOf(redis, userId)).value?.gen).toBe(1);
  });

  it('a retry that finds the attempt pending returns as soon as the attempt finishes', async () => {
    const userId = 'crashed-u2';
    const itemId = (await read(gateway.url, userId)).items[0]?.item.id as string;
    const pending = JSON.stringify({ u: userId, i: itemId, s: 'pending', v: false });
    expect(await redisCli(redis.port, 'SET', 'recs:order:slow-1', pending, 'PX', 60_000)).toBe('OK');
    model.reset();
    // The "first attempt" finishes 300 ms into the retry's wait.
    const finish = new Promise<void>((resolve) =>
      setTimeout(() => {
        void redisCli(
          redis.port,
          'SET',
          'recs:order:slow-1',
          JSON.stringify({ u: userId, i: itemId, s: 'done', v: true }),
          'PX',
          60_000,
        ).then(() => resolve());
      }, 300),
    );
    const started = Date.now();
    const retry = payloadOf(await purchase(gateway.url, { userId, itemId, orderId: 'slow-1' }));
    await finish;
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(retry).toEqual({ userId, itemId, orderId: 'slow-1', invalidated: true, duplicate: true });
    // The retry did none of the work: the first attempt did it (here: nobody, so no state at all).
    expect(model.purchases).toEqual([]);
    expect((await stateOf(redis, userId)).value).toBeUndefined();
  });
});

describe('two gateway processes on one Redis: concurrent retries of one orderId', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let replicas: GatewayProcess[];

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    replicas = await Promise.all([
      startGatewayProcess({ REDIS_URL: redis.url }),
      startGatewayProcess({ REDIS_URL: redis.url }),
    ]);
    for (const replica of replicas) cleanups.add(() => replica.stop());
  }, 120_000);

  afterAll(async () => {
    await cleanups.run();
  });

  it('each burst of 12 concurrent retries (6 per replica) has exactly one first attempt; the item is recorded once', async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const generations: number[] = [];
    for (let round = 0; round < 4; round++) {
      const userId = `replica-user-${round}`;
      const orderId = `replica-order-${round}`;
      const list = await read(a.url, userId);
      const itemId = list.items[0]?.item.id as string;
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, attempt) =>
          purchase((attempt % 2 === 0 ? a : b).url, { userId, itemId, orderId }),
        ),
      );
      const payloads = responses.map(payloadOf);
      expect(
        payloads.filter((payload) => !payload.duplicate),
        `round ${round}`,
      ).toHaveLength(1);
      for (const payload of payloads) expect(payload).toMatchObject({ userId, itemId, orderId });

      const state = (await stateOf(redis, userId)).value;
      expect(countOf(state, itemId), `round ${round}`).toBe(1);
      expect(state?.bought).toHaveLength(1);
      // Recorded once: retries that found the first attempt pending waited for it instead of redoing its work.
      generations.push(state?.gen ?? 0);
      expect(state?.gen, `round ${round}`).toBe(1);
      expect(await orderRecord(redis, orderId)).toMatchObject({ u: userId, i: itemId, s: 'done' });

      // Both replicas now serve a list without the item, and a later retry on either is a duplicate.
      for (const replica of [a, b]) {
        expect((await read(replica.url, userId)).items.map((entry) => entry.item.id)).not.toContain(itemId);
        expect(payloadOf(await purchase(replica.url, { userId, itemId, orderId })).duplicate).toBe(true);
      }
      // The other replica sees the order too: another item under the same orderId is a conflict there.
      const conflict = await purchase(b.url, { userId, itemId: list.items[1]?.item.id as string, orderId });
      expect(conflict.code).toBe('CONFLICT');
    }
    console.log(
      `concurrent retries: generation after each burst of 12 = ${generations.join(', ')} (1 = the purchase was recorded once)`,
    );
  }, 120_000);
});
