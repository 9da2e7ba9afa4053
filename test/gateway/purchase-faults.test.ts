/**
 * Checkout is told the truth when the store fails: a purchase the gateway answers as recorded has been applied to
 * Redis; one it could not apply is answered STORE_UNAVAILABLE (retryable, with a retry hint), and a retry with the
 * same orderId completes it. Real redis-server processes: killed and restarted with their AOF, and paused
 * (`CLIENT PAUSE`, so the gateway's commands land after it gave up on them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import {
  Cleanups,
  CountingModel,
  PURCHASE_MUTATION,
  READ_QUERY,
  describeBody,
  itemIds,
  readRecs,
  sleep,
} from './helpers.js';
import type { RecList } from './helpers.js';
import { bearerToken } from '../security/helpers.js';
import type { PurchaseResult } from '../../src/purchases/purchase-result.js';
import { waitFor } from '../support/wait.js';
import { readyz } from '../support/readyz.js';

const REDIS_TIMEOUT_MS = 300;
const PURCHASE_FIELDS_MUTATION = PURCHASE_MUTATION.replace('invalidated }', 'invalidated duplicate }');

/** The mutation's payload, as the GraphQL answer carries it. */
type Payload = PurchaseResult;

async function purchase(
  url: string,
  input: { userId: string; itemId: string; orderId: string },
  headers: Record<string, string> = {},
): Promise<GraphQLBody> {
  const { status, body } = await postGraphQL(url, PURCHASE_FIELDS_MUTATION, { input }, headers);
  expect(status).toBe(200);
  return body;
}

function expectNotApplied(body: GraphQLBody): void {
  expect(body.errors, describeBody(body)).toHaveLength(1);
  const extensions = body.errors?.[0]?.extensions ?? {};
  expect(extensions.code).toBe('STORE_UNAVAILABLE');
  expect(extensions.retryable).toBe(true);
  expect(extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(body.data?.recordPurchase ?? null).toBeNull();
}

function applied(body: GraphQLBody): Payload {
  expect(body.errors, describeBody(body)).toBeUndefined();
  const payload = body.data?.recordPurchase as Payload;
  expect(payload.invalidated).toBe(true);
  return payload;
}

async function boughtOf(redis: RedisProcess, userId: string): Promise<string[]> {
  const raw = await redisCli(redis.port, 'GET', `recs:{${userId}}:state`);
  if (raw === '') return [];
  return (JSON.parse(raw) as { bought: Array<[string, number]> }).bought.map(([itemId]) => itemId);
}

async function orderOf(redis: RedisProcess, orderId: string): Promise<Record<string, unknown> | undefined> {
  const raw = await redisCli(redis.port, 'GET', `recs:order:${orderId}`);
  return raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
}

describe('purchases while the store fails', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  async function setUp(env: Record<string, string> = {}): Promise<{ redis: RedisProcess; gateway: InProcessGateway }> {
    const redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    cleanups.add(() => redis.stop());
    const gateway = await startGateway(
      { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS), ...env },
      { model: CountingModel.builtin('v1') },
    );
    cleanups.add(() => gateway.close());
    return { redis, gateway };
  }

  /** The store breaker's state, as /readyz reports it. */
  async function storeBreaker(gateway: InProcessGateway): Promise<string | undefined> {
    return (await readyz<{ store?: { breaker?: string } }>(gateway.origin)).body.store?.breaker;
  }

  /** Caches the user's list and returns its top item. */
  async function cachedTop(gateway: InProcessGateway, userId: string): Promise<string> {
    await readRecs(gateway.url, userId, 20);
    const cached = await readRecs(gateway.url, userId, 20);
    expect(cached.source).toBe('CACHE');
    return cached.items[0]?.item.id as string;
  }

  it('Redis killed: the purchase is answered STORE_UNAVAILABLE; after a restart with its AOF, the retry applies it', async () => {
    const { redis, gateway } = await setUp();
    const top = await cachedTop(gateway, 'killed-1');
    await redis.kill();

    const refused = await postGraphQL(gateway.url, PURCHASE_FIELDS_MUTATION, {
      input: { userId: 'killed-1', itemId: top, orderId: 'order-killed-1' },
    });
    expectNotApplied(refused.body);
    // The wait is in the header too, for HTTP retry middlewares that never read a GraphQL body.
    expect(refused.headers.get('retry-after')).toBe(
      String(Math.ceil(Number(refused.body.errors?.[0]?.extensions?.retryAfterSeconds))),
    );

    await redis.restart();
    // The old list came back with the AOF; the retry with the same orderId must apply the purchase whatever the
    // gateway did meanwhile (it may have applied it itself: then the retry is a duplicate of an applied order).
    expect(await redisCli(redis.port, 'DBSIZE')).not.toBe('0');
    let body = await purchase(gateway.url, { userId: 'killed-1', itemId: top, orderId: 'order-killed-1' });
    for (let attempt = 0; body.errors !== undefined && attempt < 20; attempt += 1) {
      await sleep(100); // checkout's retry interval: the retries are the scenario
      body = await purchase(gateway.url, { userId: 'killed-1', itemId: top, orderId: 'order-killed-1' });
    }
    applied(body);
    expect(await boughtOf(redis, 'killed-1')).toContain(top);
    expect(await redisCli(redis.port, 'EXISTS', 'recs:{killed-1}:v1')).toBe('0');
    expect(await orderOf(redis, 'order-killed-1')).toMatchObject({ s: 'done', v: true });
    expect(itemIds(await readRecs(gateway.url, 'killed-1', 20))).not.toContain(top);

    // And a further retry is a duplicate of an applied order.
    expect(
      applied(await purchase(gateway.url, { userId: 'killed-1', itemId: top, orderId: 'order-killed-1' })).duplicate,
    ).toBe(true);
  });

  it('Redis paused past the timeout: not applied is said as such, and a retry is never a duplicate of an unapplied order', async () => {
    const { redis, gateway } = await setUp();
    const top = await cachedTop(gateway, 'paused-1');
    await redisCli(redis.port, 'CLIENT', 'PAUSE', '1500', 'ALL');

    expectNotApplied(await purchase(gateway.url, { userId: 'paused-1', itemId: top, orderId: 'order-paused-1' }));
    // A PING is held by the pause like every command: its answer says the pause is over. The gateway's store breaker
    // may have opened on the timeouts: the retry goes once it lets calls through again (what a client's backoff does).
    expect(await redisCli(redis.port, 'PING')).toBe('PONG');
    await waitFor(
      'the store breaker to let calls through',
      async () => (await storeBreaker(gateway)) !== 'open',
      5_000,
    );

    // Whatever of the first attempt landed late (the claim did), the retry finishes the purchase. A half-open breaker
    // lets one probe through, and the outbox applying the held order may be that probe: a retry refused meanwhile is
    // refused as not applied, never answered as a duplicate, and checkout's next retry goes through.
    const order = { userId: 'paused-1', itemId: top, orderId: 'order-paused-1' };
    let body = await purchase(gateway.url, order);
    for (let attempt = 0; body.errors !== undefined && attempt < 20; attempt += 1) {
      expectNotApplied(body);
      await sleep(100); // checkout's retry interval: the retries are the scenario
      body = await purchase(gateway.url, order);
    }
    const retry = applied(body);
    expect(retry.orderId).toBe('order-paused-1');
    expect(await boughtOf(redis, 'paused-1')).toContain(top);
    expect(await orderOf(redis, 'order-paused-1')).toMatchObject({ s: 'done', v: true });
    expect(itemIds(await readRecs(gateway.url, 'paused-1', 20))).not.toContain(top);
  });

  it('budget of 2: four purchases not applied while Redis is paused are all recorded by retrying; successes are still limited', async () => {
    const { redis, gateway } = await setUp({ RATE_LIMIT_PURCHASES_PER_MINUTE: '2' });
    const orders: Array<{ userId: string; itemId: string; orderId: string }> = [];
    for (let n = 0; n < 4; n++) {
      const userId = `budget-${n}`;
      orders.push({ userId, itemId: await cachedTop(gateway, userId), orderId: `order-budget-${n}` });
    }
    await redisCli(redis.port, 'CLIENT', 'PAUSE', '4000', 'ALL');
    const pausedAt = Date.now();
    // Twice the budget, none refused for it: a purchase the store did not take gives its unit back.
    for (const order of orders) expectNotApplied(await purchase(gateway.url, order));
    expect(await redisCli(redis.port, 'PING')).toBe('PONG');
    await waitFor(
      'the store breaker to let calls through',
      async () => (await storeBreaker(gateway)) !== 'open',
      5_000,
    );

    // Checkout retries at once, racing the outbox: whichever applies an order, the retry is not charged again.
    const answers: unknown[] = [];
    for (const order of orders) {
      let body = await purchase(gateway.url, order);
      for (let attempt = 0; body.errors !== undefined && attempt < 30; attempt += 1) {
        answers.push(body.errors[0]?.extensions?.code);
        await sleep(100); // checkout's retry interval: the retries are the scenario
        body = await purchase(gateway.url, order);
      }
      applied(body);
      expect(await boughtOf(redis, order.userId)).toContain(order.itemId);
    }
    expect(answers).not.toContain('RATE_LIMITED');

    // New purchases that succeed still meet the budget of 2 (one may already be taken: a budget check that timed out
    // during the pause lands in Redis late). Budgets count in process for 5 s after the first timed-out check; once
    // that back-off is over every check below is counted in Redis, the count this budget holds across replicas.
    await sleep(Math.max(0, pausedAt + 5_500 - Date.now()));
    const outcomes: unknown[] = [];
    for (let n = 0; n < 3; n++) {
      const userId = `budget-after-${n}`;
      const order = { userId, itemId: await cachedTop(gateway, userId), orderId: `order-budget-after-${n}` };
      outcomes.push((await purchase(gateway.url, order)).errors?.[0]?.extensions?.code ?? 'ok');
    }
    expect(outcomes[0]).toBe('ok');
    expect(outcomes[2]).toBe('RATE_LIMITED');
  });

  it('an order marked done by an older gateway without its invalidation is applied by the retry, not answered as a duplicate', async () => {
    const { redis, gateway } = await setUp();
    const top = await cachedTop(gateway, 'legacy-1');
    await redisCli(
      redis.port,
      'SET',
      'recs:order:order-legacy-1',
      JSON.stringify({ u: 'legacy-1', i: top, s: 'done', v: false }),
    );

    applied(await purchase(gateway.url, { userId: 'legacy-1', itemId: top, orderId: 'order-legacy-1' }));
    expect(await boughtOf(redis, 'legacy-1')).toContain(top);
    expect(await redisCli(redis.port, 'EXISTS', 'recs:{legacy-1}:v1')).toBe('0');
    expect(await orderOf(redis, 'order-legacy-1')).toMatchObject({ s: 'done', v: true });
  });

  it("a client whose purchases fill its share of the outbox leaves room for another client's purchase", async () => {
    const secret = 'outbox-share-secret-of-at-least-32-bytes';
    // An outbox of 3: one client holds at most 2, the third place stays for the others.
    const { redis, gateway } = await setUp({ AUTH_JWT_SECRET: secret, PURCHASE_OUTBOX_SIZE: '3' });
    const scopes = 'purchases:write recommendations:read:any';
    const flooder = { authorization: await bearerToken(secret, 'flooder', scopes) };
    const checkout = { authorization: await bearerToken(secret, 'checkout', scopes) };
    const read = await postGraphQL(gateway.url, READ_QUERY, { userId: 'share-probe', first: 1 }, checkout);
    const itemId = (read.body.data?.recommendations as RecList | undefined)?.items[0]?.item.id as string;
    expect(itemId, describeBody(read.body)).toBeTypeOf('string');
    await redis.kill();

    // Every one is answered as before: not applied, retry; only the first two are held.
    for (let n = 0; n < 4; n++) {
      expectNotApplied(
        await purchase(gateway.url, { userId: `share-flood-${n}`, itemId, orderId: `order-share-flood-${n}` }, flooder),
      );
    }
    expectNotApplied(
      await purchase(gateway.url, { userId: 'share-checkout', itemId, orderId: 'order-share-checkout' }, checkout),
    );

    // Nobody retries: the outbox applies what it held, in order of arrival, checkout's purchase last.
    await redis.restart();
    await waitFor(
      "checkout's held purchase to be applied",
      async () => (await boughtOf(redis, 'share-checkout')).includes(itemId),
      10_000,
    );
    expect(await boughtOf(redis, 'share-flood-0')).toContain(itemId);
    expect(await boughtOf(redis, 'share-flood-1')).toContain(itemId);
    expect(await boughtOf(redis, 'share-flood-2')).toEqual([]);
    expect(await boughtOf(redis, 'share-flood-3')).toEqual([]);
  });
});
