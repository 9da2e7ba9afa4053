/**
 * Automatic persisted queries over real HTTP, stored in the gateway's persisted query store: in the process when
 * there is no Redis, and on a real Redis shared by two replicas.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';
import { startRedis, redisCli } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups } from '../gateway/helpers.js';

const QUERY =
  'query ApqRead($userId: ID!) { recommendations(userId: $userId, first: 3) { userId source items { rank } } }';
const HASH = createHash('sha256').update(QUERY).digest('hex');

interface Reply {
  status: number;
  body: GraphQLBody;
}

/** A POST as Apollo Client's persisted-queries link sends it: the hash, and the query only when registering. */
async function apqPost(url: string, options: { hash?: string; query?: string; userId: string }): Promise<Reply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...(options.query === undefined ? {} : { query: options.query }),
      variables: { userId: options.userId },
      extensions: { persistedQuery: { version: 1, sha256Hash: options.hash ?? HASH } },
    }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

/** A hash-only GET, the form a CDN can cache; the preflight header satisfies Apollo's CSRF prevention. */
async function apqGet(url: string, userId: string): Promise<Reply> {
  const params = new URLSearchParams({
    variables: JSON.stringify({ userId }),
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: HASH } }),
  });
  const response = await fetch(`${url}?${params.toString()}`, { headers: { 'apollo-require-preflight': 'true' } });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

function expectNotFound(reply: Reply): void {
  expect(reply.body.data).toBeUndefined();
  expect(reply.body.errors?.map((error) => error.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
}

function expectAnswer(reply: Reply, userId: string): void {
  expect(reply.body.errors).toBeUndefined();
  expect(reply.status).toBe(200);
  expect((reply.body.data?.recommendations as { userId: string }).userId).toBe(userId);
}

/** `recs_store_errors_total{operation="apq"}` of the gateway, 0 before its first. */
async function apqStoreErrors(gateway: InProcessGateway): Promise<number> {
  const metric = await gateway.app.telemetry.registry.getSingleMetric('recs_store_errors_total')?.get();
  return metric?.values.find((value) => value.labels.operation === 'apq')?.value ?? 0;
}

/** The APQ flow every client goes through: miss, register, then hash only. */
async function expectApqFlow(url: string, userId: string): Promise<void> {
  expectNotFound(await apqPost(url, { userId }));
  expectAnswer(await apqPost(url, { userId, query: QUERY }), userId);
  expectAnswer(await apqPost(url, { userId }), userId);
  expectAnswer(await apqGet(url, userId), userId);
}

describe('APQ on the memory store', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('hash only → PERSISTED_QUERY_NOT_FOUND; register; then hash only (POST and GET) works', async () => {
    await expectApqFlow(gateway.url, 'apq-mem-1');
  });

  it('the document is in the store under apq:<hash>', async () => {
    expect(await gateway.app.persistedQueries.get(`apq:${HASH}`)).toBe(QUERY);
  });

  it('a query whose hash does not match is refused and not registered', async () => {
    const wrongHash = createHash('sha256').update('something else').digest('hex');
    const reply = await apqPost(gateway.url, { userId: 'apq-mem-2', query: QUERY, hash: wrongHash });
    expect(reply.status).toBe(400);
    expect(reply.body.errors?.[0]?.message).toMatch(/provided sha does not match query/);
    expect(await gateway.app.persistedQueries.get(`apq:${wrongHash}`)).toBeUndefined();
  });
});

describe('APQ on Redis', () => {
  let redis: RedisProcess;
  const cleanups = new Cleanups();

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    await cleanups.run();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  /** A gateway on a Redis of its own, which the test may stop, after the APQ flow has registered the document. */
  async function gatewayOnItsOwnRedis(userId: string): Promise<{ local: RedisProcess; gateway: InProcessGateway }> {
    const local = await startRedis();
    cleanups.add(() => local.stop());
    const gateway = await startGateway({ REDIS_URL: local.url, REDIS_TIMEOUT_MS: '200' });
    cleanups.add(() => gateway.close());
    await expectApqFlow(gateway.url, userId);
    return { local, gateway };
  }

  it('registered on one replica, found by hash on another; stored as <prefix>apq:<hash> with the configured TTL', async () => {
    const env = { REDIS_URL: redis.url, CACHE_KEY_PREFIX: 'apqtest:', APQ_TTL_SECONDS: '3600' };
    const first = await startGateway(env);
    cleanups.add(() => first.close());
    const second = await startGateway(env);
    cleanups.add(() => second.close());

    expectNotFound(await apqPost(second.url, { userId: 'apq-redis-1' }));
    await expectApqFlow(first.url, 'apq-redis-1');
    expectAnswer(await apqPost(second.url, { userId: 'apq-redis-2' }), 'apq-redis-2');

    const key = `apqtest:apq:${HASH}`;
    expect(await redisCli(redis.port, 'GET', key)).toBe(QUERY);
    const pttl = Number(await redisCli(redis.port, 'PTTL', key));
    expect(pttl).toBeGreaterThan(3_590_000);
    expect(pttl).toBeLessThanOrEqual(3_600_000);
  });

  it('Redis down: a hash-only request is a miss (not a 500), and the full query is still answered', async () => {
    const { local, gateway } = await gatewayOnItsOwnRedis('apq-down-1');

    await local.kill();
    const errorsBefore = await apqStoreErrors(gateway);
    const miss = await apqPost(gateway.url, { userId: 'apq-down-2' });
    expectNotFound(miss);
    // The fast path's lookup failed and Apollo's failed after it: one request, one store error.
    expect(await apqStoreErrors(gateway)).toBe(errorsBefore + 1);
    expectAnswer(await apqPost(gateway.url, { userId: 'apq-down-2', query: QUERY }), 'apq-down-2');
    const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
    expect(metrics).toMatch(/recs_store_errors_total\{operation="apq"\} [1-9]/);
  });

  it('Redis frozen: a hash-only request the fast path knows is a miss, counted as one store error', async () => {
    const { local, gateway } = await gatewayOnItsOwnRedis('apq-frozen-1');

    // SIGSTOP keeps the connection up with nothing answering: each lookup ends only at REDIS_TIMEOUT_MS.
    process.kill(local.pid, 'SIGSTOP');
    cleanups.add(async () => {
      process.kill(local.pid, 'SIGCONT');
    });
    const errorsBefore = await apqStoreErrors(gateway);
    const passedBefore = (await fastPathOutcomes(gateway)).passed;
    const miss = await apqPost(gateway.url, { userId: 'apq-frozen-2' });
    expectNotFound(miss);
    expect((await fastPathOutcomes(gateway)).passed).toBe(passedBefore + 1);
    expect(await apqStoreErrors(gateway)).toBe(errorsBefore + 1);
  });
});
