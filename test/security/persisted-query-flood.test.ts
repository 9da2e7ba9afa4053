/**
 * Persisted queries cannot be used to fill the store. Registrations are bounded per document (APQ_MAX_DOCUMENT_BYTES),
 * per client (APQ_CLIENT_REGISTRATIONS) and for everyone (APQ_STORE_BUDGET_BYTES); a refused registration is still
 * answered, only not stored. Against a real redis-server with `--maxmemory 40mb --maxmemory-policy allkeys-lru`, the
 * flood that used to evict lists, user state and order records (and so made a retried order `duplicate: false`)
 * leaves every one of them in place; the same flood with the bounds lifted does evict, which shows the test can fail.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { captureLogs } from '../support/log-capture.js';
import { Cleanups, CountingModel, keysOn } from '../gateway/helpers.js';
import { ClientLimits } from '../../src/limits/client-limits.js';
import { PURCHASE_MUTATION, READ_QUERY, SECRET, hsToken, readResponse } from './helpers.js';

describe('ClientLimits.admitPersistedQuery (in process)', () => {
  it('refuses documents over the size limit, then over the client budget, then over the global byte budget', async () => {
    const limits = new ClientLimits({
      purchasesPerMinute: 1,
      computesPerMinute: 1,
      persistedQueries: { maxDocumentBytes: 1000, perClient: 3, globalBytes: 2500, windowSeconds: 60 },
    });
    expect(await limits.admitPersistedQuery('a', 1001)).toBe('too-large');
    expect(await limits.admitPersistedQuery('a', 1000)).toBe('admitted');
    expect(await limits.admitPersistedQuery('a', 1000)).toBe('admitted');
    expect(await limits.admitPersistedQuery('b', 400)).toBe('admitted');
    // The too-large one cost nothing: a third from `a` is within its count, but over everyone's bytes.
    expect(await limits.admitPersistedQuery('a', 600)).toBe('global-budget');
    expect(await limits.admitPersistedQuery('a', 10)).toBe('client-budget');
    expect(await limits.admitPersistedQuery('c', 1)).toBe('global-budget');
  });
});

/** A valid document of about `bytes` bytes, distinct for each `n`: a comment (free for the token limit) and a query. */
function document(n: number, bytes: number): string {
  const query = `query Flood${n} { __typename }`;
  return `# ${'x'.repeat(Math.max(0, bytes - query.length - 3))}\n${query}`;
}

async function register(url: string, token: string, query: string): Promise<{ status: number; typename: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } },
    }),
  });
  const parsed = await readResponse(response);
  return { status: parsed.status, typename: (parsed.data as { __typename?: unknown } | undefined)?.__typename };
}

/** Runs `count` registrations, `concurrency` at a time; every one must be answered (200, `__typename: Query`). */
async function flood(
  url: string,
  tokens: readonly string[],
  count: number,
  bytes: number,
  offset: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const answer = await register(url, tokens[index % tokens.length] as string, document(offset + index, bytes));
      expect(answer).toEqual({ status: 200, typename: 'Query' });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function apqKeys(redis: RedisProcess): Promise<string[]> {
  return (await keysOn(redis.port)).filter((key) => key.startsWith('recs:apq:') || key.startsWith('apq:'));
}

async function evictedKeys(redis: RedisProcess): Promise<number> {
  const info = await redisCli(redis.port, 'INFO', 'stats');
  return Number(/evicted_keys:(\d+)/.exec(info)?.[1] ?? NaN);
}

const FLOOD_ARGS = ['--maxmemory', '40mb', '--maxmemory-policy', 'allkeys-lru'];
const DOCUMENT_BYTES = 15_000;

interface Protected {
  readonly keys: Map<string, string>;
  readonly orderItem: string;
}

/** Lists for a few users, one purchase (user state + order record): what the flood must not evict. */
async function prime(gateway: InProcessGateway, redis: RedisProcess, service: string): Promise<Protected> {
  const users = Array.from({ length: 20 }, (_, index) => `kept-${index}`);
  for (const userId of users) {
    const response = await readResponse(
      await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
        body: JSON.stringify({ query: READ_QUERY, variables: { userId } }),
      }),
    );
    expect(response.errors).toEqual([]);
  }
  const orderItem = 'i77';
  const bought = await readResponse(
    await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
      body: JSON.stringify({
        query: PURCHASE_MUTATION,
        variables: { input: { userId: 'kept-0', itemId: orderItem, orderId: 'kept-order' } },
      }),
    }),
  );
  expect(bought.data).toMatchObject({ recordPurchase: { duplicate: false } });
  // Read the purchaser's list again so its list is cached next to its state.
  await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
    body: JSON.stringify({ query: READ_QUERY, variables: { userId: 'kept-0' } }),
  });
  const keys = new Map<string, string>();
  for (const key of await keysOn(redis.port)) {
    if (key.endsWith(':lease') || key === 'recs:active' || key.includes('limits:')) continue;
    keys.set(key, await redisCli(redis.port, 'GET', key));
  }
  expect([...keys.keys()].filter((key) => key.startsWith('recs:order:'))).toEqual(['recs:order:kept-order']);
  expect([...keys.keys()].filter((key) => key.endsWith(':state'))).toEqual(['recs:{kept-0}:state']);
  expect([...keys.keys()].filter((key) => key.endsWith(':v1'))).toHaveLength(20);
  return { keys, orderItem };
}

async function retryOrder(gateway: InProcessGateway, service: string, orderItem: string): Promise<unknown> {
  const retry = await readResponse(
    await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
      body: JSON.stringify({
        query: PURCHASE_MUTATION,
        variables: { input: { userId: 'kept-0', itemId: orderItem, orderId: 'kept-order' } },
      }),
    }),
  );
  return (retry.data as { recordPurchase?: { duplicate: boolean } } | null)?.recordPurchase?.duplicate;
}

describe('an APQ flood against Redis with maxmemory 40mb and allkeys-lru', () => {
  const cleanups = new Cleanups();
  let service: string;
  let attackers: string[];

  beforeAll(async () => {
    service = await hsToken({
      sub: 'flood-service',
      scope: 'recommendations:read:any purchases:write',
      issuer: '',
      audience: '',
    });
    attackers = await Promise.all(
      Array.from({ length: 30 }, (_, index) => hsToken({ sub: `flooder-${index}`, issuer: '', audience: '' })),
    );
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('bounded (defaults): nothing is evicted, lists, state and orders are intact, a retried order is still duplicate: true', async () => {
    const redis = await startRedis({ args: FLOOD_ARGS });
    cleanups.add(() => redis.stop());
    const logs = captureLogs('warn');
    const model = CountingModel.builtin('v1');
    const gateway = await startGateway(
      { AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url, NODE_ENV: 'development', MODEL_WORKERS: '0' },
      { model, logger: logs.logger },
    );
    cleanups.add(() => gateway.close());
    // Development starts on such a Redis, with a warning that says what to set.
    expect(logs.text()).toMatch(/maxmemory-policy allkeys-lru.*Set maxmemory-policy noeviction/);
    const kept = await prime(gateway, redis, service);

    // One token, 100 documents of ~60 KB: every one answered, none stored (over APQ_MAX_DOCUMENT_BYTES).
    const started = Date.now();
    await flood(gateway.url, [attackers[0] as string], 100, 60_000, 0);
    expect(await apqKeys(redis)).toEqual([]);
    // One token, 300 documents of ~15 KB: 100 stored (APQ_CLIENT_REGISTRATIONS), the rest answered and not stored.
    await flood(gateway.url, [attackers[1] as string], 300, DOCUMENT_BYTES, 1_000);
    expect(await apqKeys(redis)).toHaveLength(100);
    // 30 tokens, 3,000 documents of ~15 KB: the global byte budget (8 MiB) stops them all together.
    await flood(gateway.url, attackers, 3_000, DOCUMENT_BYTES, 10_000);
    const stored = await apqKeys(redis);
    console.log(
      `APQ flood (bounded): 3,400 registrations in ${Date.now() - started} ms; ${stored.length} documents stored; used_memory ${/used_memory:(\d+)/.exec(await redisCli(redis.port, 'INFO', 'memory'))?.[1]} bytes`,
    );
    expect(stored.length * DOCUMENT_BYTES).toBeLessThanOrEqual(8 * 1024 * 1024 + DOCUMENT_BYTES);
    expect(stored.length).toBeGreaterThan(100);

    expect(await evictedKeys(redis)).toBe(0);
    for (const [key, value] of kept.keys) expect(await redisCli(redis.port, 'GET', key), key).toBe(value);
    expect(await retryOrder(gateway, service, kept.orderItem)).toBe(true);
    // A client whose registration was refused is still served by sending the full text.
    expect(await register(gateway.url, attackers[1] as string, document(1_299, DOCUMENT_BYTES))).toEqual({
      status: 200,
      typename: 'Query',
    });
  }, 180_000);

  it('control: with the bounds lifted, the same flood evicts protected keys', async () => {
    const redis = await startRedis({ args: FLOOD_ARGS });
    cleanups.add(() => redis.stop());
    const gateway = await startGateway({
      AUTH_JWT_SECRET: SECRET,
      REDIS_URL: redis.url,
      NODE_ENV: 'development',
      MODEL_WORKERS: '0',
      APQ_CLIENT_REGISTRATIONS: '1000000',
      APQ_STORE_BUDGET_BYTES: String(1024 * 1024 * 1024),
    });
    cleanups.add(() => gateway.close());
    const kept = await prime(gateway, redis, service);
    await flood(gateway.url, attackers, 3_000, DOCUMENT_BYTES, 50_000);
    expect(await evictedKeys(redis)).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const key of kept.keys.keys()) if ((await redisCli(redis.port, 'EXISTS', key)) === '0') missing.push(key);
    expect(missing.length).toBeGreaterThan(0);
    console.log(`APQ flood (unbounded control): ${missing.length} of ${kept.keys.size} protected keys evicted`);
  }, 180_000);
});

describe('APQ_STORE=local: documents in a bounded LRU of each process, never in Redis', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  it('registers in the process only; other replicas ask for the text again; the byte budget bounds the LRU', async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const env = {
      AUTH_JWT_SECRET: SECRET,
      REDIS_URL: redis.url,
      APQ_STORE: 'local',
      APQ_STORE_BUDGET_BYTES: '50000',
      MODEL_WORKERS: '0',
    };
    const first = await startGateway(env);
    cleanups.add(() => first.close());
    const second = await startGateway(env);
    cleanups.add(() => second.close());
    const user = await hsToken({ sub: 'local-apq', issuer: '', audience: '' });
    const hashOnly = async (url: string, query: string) =>
      readResponse(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${user}` },
          body: JSON.stringify({
            extensions: {
              persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
            },
          }),
        }),
      );

    const documents = Array.from({ length: 4 }, (_, index) => document(90_000 + index, DOCUMENT_BYTES));
    for (const query of documents)
      expect(await register(first.url, user, query)).toEqual({ status: 200, typename: 'Query' });
    // 3 × 15 KB fit the 50,000-byte budget; the fourth was answered but not stored.
    for (const query of documents.slice(0, 3))
      expect((await hashOnly(first.url, query)).data).toEqual({ __typename: 'Query' });
    expect((await hashOnly(first.url, documents[3] as string)).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await hashOnly(second.url, documents[0] as string)).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await apqKeys(redis)).toEqual([]);
  });
});
