/**
 * Budgets across replicas: two gateway processes on one real redis-server give a client its purchase, compute and
 * persisted-query budgets once, not twice (rate-limiter-flexible's Redis limiter). While Redis is unreachable each
 * process falls back to its own in-memory count of the same size (the limiter's insurance): still limited, never
 * failing; when Redis returns, the shared count takes over again. A Redis that stalls costs one bounded wait.
 * A purchase the store did not take gives its unit back to the count it came from, so retries through an outage are
 * not refused for the budget; purchases that succeed are still limited at the budget.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, keysOn } from '../gateway/helpers.js';
import { ClientLimits } from '../../src/limits/client-limits.js';
import { openRedisConnection, closeRedisConnection } from '../../src/cache/redis-connection.js';
import { PURCHASE_MUTATION, READ_QUERY, SECRET, gql, hsToken } from './helpers.js';
import type { RawResponse } from './helpers.js';
import { sleep, waitFor } from '../support/wait.js';

const ENV = {
  AUTH_JWT_SECRET: SECRET,
  AUTH_JWT_ISSUER: '',
  AUTH_JWT_AUDIENCE: '',
  RATE_LIMIT_PURCHASES_PER_MINUTE: '4',
  RATE_LIMIT_COMPUTES_PER_MINUTE: '5',
  APQ_CLIENT_REGISTRATIONS: '3',
  REDIS_TIMEOUT_MS: '300',
  MODEL_WORKERS: '0',
};

const token = (sub: string, scope?: string): Promise<string> => hsToken({ sub, scope, issuer: '', audience: '' });
const outcome = (response: RawResponse): string => (response.errors.length === 0 ? 'ok' : String(response.code));

describe('two replicas on one Redis', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let replicas: GatewayProcess[];

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    replicas = await Promise.all([
      startGatewayProcess({ ...ENV, REDIS_URL: redis.url }),
      startGatewayProcess({ ...ENV, REDIS_URL: redis.url }),
    ]);
    for (const replica of replicas) cleanups.add(() => replica.stop());
  }, 120_000);

  afterAll(async () => {
    await cleanups.run();
  });

  const on = (index: number): string => (replicas[index % 2] as GatewayProcess).url;

  it('purchases: 4 per minute in total across both replicas, not 4 each', async () => {
    const checkout = await token('shared-checkout', 'purchases:write');
    const outcomes: string[] = [];
    for (let n = 0; n < 8; n++) {
      const response = await gql(
        on(n),
        PURCHASE_MUTATION,
        { input: { userId: 'shared-buyer', itemId: `i${n + 1}`, orderId: `shared-${n}` } },
        { token: checkout },
      );
      outcomes.push(outcome(response));
    }
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    // Counted in Redis, under the deployment's prefix, with the window as its TTL.
    const keys = (await keysOn(redis.port)).filter((key) => key.startsWith('recs:limits:'));
    expect(keys).toContain('recs:limits:purchases:sub:shared-checkout');
    expect(await redisCli(redis.port, 'GET', 'recs:limits:purchases:sub:shared-checkout')).toBe('8');
    expect(Number(await redisCli(redis.port, 'PTTL', 'recs:limits:purchases:sub:shared-checkout'))).toBeGreaterThan(0);
  });

  it('model computations: 5 cold users in total across both replicas', async () => {
    const reader = await token('shared-reader', 'recommendations:read:any');
    const outcomes: string[] = [];
    for (let n = 0; n < 8; n++)
      outcomes.push(outcome(await gql(on(n), READ_QUERY, { userId: `shared-cold-${n}` }, { token: reader })));
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('persisted query registrations: 3 per client across both replicas', async () => {
    const user = await token('shared-apq-user');
    for (let n = 0; n < 6; n++) {
      const query = `query SharedApq${n} { __typename }`;
      const response = await fetch(on(n), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user}` },
        body: JSON.stringify({
          query,
          extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } },
        }),
      });
      expect(response.status).toBe(200);
    }
    expect((await keysOn(redis.port)).filter((key) => key.startsWith('apq:'))).toHaveLength(3);
  });

  it('Redis unreachable: purchases the store did not take cost no budget and are recorded by retrying; Redis back: shared again', async () => {
    await redis.kill();
    // Reads are no probe here: computes the store's outage causes are never charged to a client (docs/operations.md,
    // "Who pays for computes during an outage"). Purchases are still charged before the store is tried.
    const checkout = await token('outage-checkout', 'purchases:write');
    const orders: Array<{ replica: number; input: { userId: string; itemId: string; orderId: string } }> = [];
    for (const replica of [0, 1]) {
      const outcomes: string[] = [];
      for (let n = 0; n < 6; n++) {
        const input = { userId: `outage-buyer-${replica}`, itemId: `i${n + 1}`, orderId: `outage-${replica}-${n}` };
        orders.push({ replica, input });
        outcomes.push(outcome(await gql(on(replica), PURCHASE_MUTATION, { input }, { token: checkout })));
      }
      // Six purchases against a budget of 4 (each process's insurance count): none is refused for the budget, since
      // a purchase the store did not take gives its unit back. Each is honestly not recorded while the store is down.
      expect(outcomes, `replica ${replica}`).toEqual(Array.from({ length: 6 }, () => 'STORE_UNAVAILABLE'));
    }
    // A read meanwhile is answered from the model, uncharged.
    const reader = await token('outage-reader', 'recommendations:read:any');
    for (let n = 0; n < 7; n++)
      expect(outcome(await gql(on(n), READ_QUERY, { userId: `outage-reader-${n}` }, { token: reader }))).toBe('ok');

    await redis.restart();
    const after = await token('after-outage-reader', 'recommendations:read:any');
    // Wait until both replicas count in Redis again (they reconnect by themselves).
    await waitFor('Redis to answer again', async () => (await redisCli(redis.port, 'PING')) === 'PONG', 20_000);
    let shared = false;
    for (let attempt = 0; attempt < 100 && !shared; attempt++) {
      const probe = await token(`probe-${attempt}`, 'recommendations:read:any');
      await gql(on(0), READ_QUERY, { userId: `probe-user-${attempt}-a` }, { token: probe });
      await gql(on(1), READ_QUERY, { userId: `probe-user-${attempt}-b` }, { token: probe });
      shared = (await redisCli(redis.port, 'GET', `recs:limits:computes:sub:probe-${attempt}`)) === '2';
      if (!shared) await sleep(200); // the probing interval; the condition is a count shared in Redis
    }
    expect(shared).toBe(true);
    const outcomes: string[] = [];
    for (let n = 0; n < 7; n++)
      outcomes.push(outcome(await gql(on(n), READ_QUERY, { userId: `after-${n}` }, { token: after })));
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);

    // Checkout retries the twelve orders (6 per buyer, budget 4) once the store answers: every one is recorded,
    // none refused for the budget the outage's attempts took.
    const retried: string[] = [];
    for (const { replica, input } of orders) {
      let answer = 'STORE_UNAVAILABLE';
      for (let attempt = 0; attempt < 50 && answer === 'STORE_UNAVAILABLE'; attempt++) {
        answer = outcome(await gql(on(replica), PURCHASE_MUTATION, { input }, { token: checkout }));
        if (answer === 'STORE_UNAVAILABLE') await sleep(200); // checkout's retry interval
      }
      retried.push(answer);
    }
    expect(retried).toEqual(orders.map(() => 'ok'));
    for (const replica of [0, 1]) {
      const state = JSON.parse(await redisCli(redis.port, 'GET', `recs:{outage-buyer-${replica}}:state`)) as {
        bought: Array<[string, number]>;
      };
      expect(state.bought.map(([itemId]) => itemId).sort()).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6']);
    }
  }, 90_000);

  it('purchases that succeed are limited at the budget; replays and conflicting orderIds cost nothing', async () => {
    const checkout = await token('replaying-checkout', 'purchases:write');
    const buy = async (n: number): Promise<string> =>
      outcome(
        await gql(
          on(n),
          PURCHASE_MUTATION,
          { input: { userId: 'replay-buyer', itemId: `i${n + 1}`, orderId: `replay-${n}` } },
          { token: checkout },
        ),
      );
    const outcomes = [await buy(0), await buy(1), await buy(2)];
    // Replays of an order already done (checkout lost the first answer) are answered `duplicate: true` for free.
    for (let replay = 0; replay < 5; replay++) {
      const response = await gql(
        on(replay),
        PURCHASE_MUTATION,
        { input: { userId: 'replay-buyer', itemId: 'i1', orderId: 'replay-0' } },
        { token: checkout },
      );
      expect(response.errors).toEqual([]);
      expect(response.json?.data).toMatchObject({ recordPurchase: { duplicate: true } });
    }
    // So is an orderId already taken for another item: refused after one store command, nothing applied.
    for (let conflict = 0; conflict < 3; conflict++) {
      const input = { userId: 'replay-buyer', itemId: 'i9', orderId: 'replay-0' };
      expect((await gql(on(conflict), PURCHASE_MUTATION, { input }, { token: checkout })).code).toBe('CONFLICT');
    }
    for (let n = 3; n < 7; n++) outcomes.push(await buy(n));
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(await redisCli(redis.port, 'GET', 'recs:limits:purchases:sub:replaying-checkout')).toBe('7');
  });
});

describe('a Redis that stalls', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  it('a budget check waits at most the Redis timeout, then counts in process; later checks skip Redis for a while', async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const connection = openRedisConnection({ url: redis.url, timeoutMs: 200, onError: () => {} });
    await connection.client.connect();
    cleanups.add(() => closeRedisConnection(connection));
    const limits = new ClientLimits({
      purchasesPerMinute: 2,
      computesPerMinute: 2,
      shared: { connection, keyPrefix: 'stall:limits:', timeoutMs: 200 },
    });
    await limits.takePurchase('c');
    expect(await redisCli(redis.port, 'GET', 'stall:limits:purchases:c')).toBe('1');

    // The stall is in effect once this answers: CLIENT PAUSE holds every other client's commands from then on (for
    // 2 s), as a frozen Redis would, with no guess at when a background DEBUG SLEEP has started.
    await redisCli(redis.port, 'CLIENT', 'PAUSE', '2000', 'ALL');
    let started = Date.now();
    await limits.takePurchase('c');
    expect(Date.now() - started).toBeLessThan(1_000);
    // Within the back-off the process counts alone (its own count started at the stall), at once; its budget of 2
    // still holds.
    started = Date.now();
    await limits.takePurchase('c');
    await expect(limits.takePurchase('c')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect(Date.now() - started).toBeLessThan(150);
    // A PING is held by the pause too: its answer says the stall is over.
    await redisCli(redis.port, 'PING');
  });
});

describe('giving a purchase unit back', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  async function limitsOn(redis: RedisProcess, prefix: string): Promise<ClientLimits> {
    const connection = openRedisConnection({ url: redis.url, timeoutMs: 200, onError: () => {} });
    await connection.client.connect();
    cleanups.add(() => closeRedisConnection(connection));
    return new ClientLimits({
      purchasesPerMinute: 2,
      computesPerMinute: 2,
      shared: { connection, keyPrefix: prefix, timeoutMs: 200 },
    });
  }

  /** Five units taken and given back cost nothing; the budget of 2 still holds for purchases that keep theirs. */
  async function expectRefundedThenLimited(limits: ClientLimits, client: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) await (await limits.takePurchase(client)).giveBack();
    await limits.takePurchase(client);
    await limits.takePurchase(client);
    await expect(limits.takePurchase(client)).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
  }

  it('returns the unit to the shared count, and never below what was taken', async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const limits = await limitsOn(redis, 'refund:limits:');
    const first = await limits.takePurchase('c');
    await limits.takePurchase('c');
    await first.giveBack();
    expect(await redisCli(redis.port, 'GET', 'refund:limits:purchases:c')).toBe('1');
    // The unit returned is spent again, and the budget of 2 still holds.
    await limits.takePurchase('c');
    await expect(limits.takePurchase('c')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });

    // A count lost meanwhile (Redis restarted empty, or its window over) is not rewarded into a negative one, which
    // would hand out budget nobody paid for.
    const lost = await limits.takePurchase('d');
    await redisCli(redis.port, 'DEL', 'refund:limits:purchases:d');
    await lost.giveBack();
    expect(await redisCli(redis.port, 'GET', 'refund:limits:purchases:d')).toBe('');
    await limits.takePurchase('d');
    await limits.takePurchase('d');
    await expect(limits.takePurchase('d')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
  });

  it('Redis down: the unit goes back to the process count it was taken from, which still limits', async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const limits = await limitsOn(redis, 'refund-down:limits:');
    await redis.kill();
    await expectRefundedThenLimited(limits, 'c');
  });

  it('Redis stalled: the unit goes back to the process count, without waiting on Redis', async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const limits = await limitsOn(redis, 'refund-stall:limits:');
    await redisCli(redis.port, 'CLIENT', 'PAUSE', '2000', 'ALL');
    const started = Date.now();
    await expectRefundedThenLimited(limits, 'c');
    // One bounded wait for the first check, then the process's own count.
    expect(Date.now() - started).toBeLessThan(1_000);
    await redisCli(redis.port, 'PING');
  });
});
