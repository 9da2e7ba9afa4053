/**
 * The persisted query store on both of its backends: Redis (a real redis-server, never the one on 6379) and the
 * in-process LRU of APQ_STORE=local. What each bound looks like at this level: the key Apollo reads is the key
 * stored, with the prefix; every document has a TTL; the LRU is bounded by bytes; a failing Redis is a miss.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PersistedQueryStore } from '../../src/graphql/persisted-query-store.js';
import type { PersistedQueryStoreOptions } from '../../src/graphql/persisted-query-store.js';
import { closeRedisConnection, openRedisConnection } from '../../src/cache/redis-connection.js';
import type { RedisConnection } from '../../src/cache/redis-connection.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { captureLogs } from '../support/log-capture.js';

const HASH = 'a'.repeat(64);
const QUERY = '{ __typename }';

function options(overrides: Partial<PersistedQueryStoreOptions> = {}) {
  const errors: string[] = [];
  const logs = captureLogs('warn');
  return {
    errors,
    logs,
    options: {
      keyPrefix: 'pfx:',
      ttlSeconds: 3600,
      telemetry: { storeError: (operation: string) => errors.push(operation) },
      logger: logs.logger,
      ...overrides,
    } satisfies PersistedQueryStoreOptions,
  };
}

describe('PersistedQueryStore on Redis (shared)', () => {
  let redis: RedisProcess;
  let connection: RedisConnection;

  beforeAll(async () => {
    redis = await startRedis();
    connection = openRedisConnection({ url: redis.url, timeoutMs: 1_000, onError: () => {} });
  }, 60_000);

  afterAll(async () => {
    await closeRedisConnection(connection);
    await redis?.stop();
  }, 60_000);

  it("stores the bare text under <prefix><Apollo's key>, with Apollo's TTL or the default", async () => {
    const { options: opts, errors } = options();
    const store = new PersistedQueryStore({ kind: 'shared', connection, timeoutMs: 1_000 }, opts);
    await store.set(`apq:${HASH}`, QUERY, { ttl: 60 });
    await store.set(`apq:${'b'.repeat(64)}`, QUERY);

    expect(await redisCli(redis.port, 'GET', `pfx:apq:${HASH}`)).toBe(QUERY);
    const pttl = Number(await redisCli(redis.port, 'PTTL', `pfx:apq:${HASH}`));
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    const defaultTtl = Number(await redisCli(redis.port, 'PTTL', `pfx:apq:${'b'.repeat(64)}`));
    expect(defaultTtl).toBeGreaterThan(3_590_000);
    expect(defaultTtl).toBeLessThanOrEqual(3_600_000);

    expect(await store.get(`apq:${HASH}`)).toBe(QUERY);
    await store.delete(`apq:${HASH}`);
    expect(await store.get(`apq:${HASH}`)).toBeUndefined();
    expect(await redisCli(redis.port, 'EXISTS', `pfx:apq:${HASH}`)).toBe('0');
    expect(errors).toEqual([]);
  });

  it('reads a document written as bare text by another replica (or an earlier release)', async () => {
    const { options: opts } = options();
    const store = new PersistedQueryStore({ kind: 'shared', connection, timeoutMs: 1_000 }, opts);
    await redisCli(redis.port, 'SET', `pfx:apq:${'c'.repeat(64)}`, '{"looks":"like json"}');
    expect(await store.get(`apq:${'c'.repeat(64)}`)).toBe('{"looks":"like json"}');
  });

  it('answers a key longer than any hash as a miss, without asking Redis', async () => {
    const { options: opts } = options();
    const store = new PersistedQueryStore({ kind: 'shared', connection, timeoutMs: 1_000 }, opts);
    const long = `apq:${'d'.repeat(300)}`;
    await redisCli(redis.port, 'SET', `pfx:${long}`, QUERY);
    await redisCli(redis.port, 'CONFIG', 'RESETSTAT');
    expect(await store.get(long)).toBeUndefined();
    expect(await redisCli(redis.port, 'INFO', 'commandstats')).not.toContain('cmdstat_get:');
  });

  it('Redis down: a read is a miss, a write is dropped; both counted and logged (but the fast path’s read), neither throws', async () => {
    const local = await startRedis();
    const down = openRedisConnection({ url: local.url, timeoutMs: 300, onError: () => {} });
    try {
      const { options: opts, errors, logs } = options();
      const store = new PersistedQueryStore({ kind: 'shared', connection: down, timeoutMs: 300 }, opts);
      await store.set(`apq:${HASH}`, QUERY);
      expect(await store.get(`apq:${HASH}`)).toBe(QUERY);
      expect(await store.unreported.get(`apq:${HASH}`)).toBe(QUERY);
      await local.kill();
      // The fast path's read: a miss too, but left for Apollo's lookup of the same hash to count and log.
      expect(await store.unreported.get(`apq:${HASH}`)).toBeUndefined();
      expect(errors).toEqual([]);
      expect(logs.text()).not.toMatch(/persisted query lookup failed/);
      expect(await store.get(`apq:${HASH}`)).toBeUndefined();
      await expect(store.set(`apq:${HASH}`, QUERY)).resolves.toBeUndefined();
      await expect(store.delete(`apq:${HASH}`)).resolves.toBeUndefined();
      expect(errors).toEqual(['apq', 'apq', 'apq']);
      expect(logs.text()).toMatch(/persisted query lookup failed/);
    } finally {
      await closeRedisConnection(down);
      await local.stop();
    }
  }, 60_000);
});

describe('PersistedQueryStore in process (local)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps documents until their TTL, by the clock', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const { options: opts } = options({ ttlSeconds: 10 });
    const store = new PersistedQueryStore({ kind: 'local', maxBytes: 10_000 }, opts);
    await store.set(`apq:${HASH}`, QUERY);
    await store.set(`apq:${'b'.repeat(64)}`, QUERY, { ttl: 60 });
    vi.advanceTimersByTime(9_999);
    expect(await store.get(`apq:${HASH}`)).toBe(QUERY);
    vi.advanceTimersByTime(2);
    expect(await store.get(`apq:${HASH}`)).toBeUndefined();
    // Apollo's own TTL wins over the default.
    expect(await store.get(`apq:${'b'.repeat(64)}`)).toBe(QUERY);
    await store.delete(`apq:${'b'.repeat(64)}`);
    expect(await store.get(`apq:${'b'.repeat(64)}`)).toBeUndefined();
  });

  it('is bounded by bytes: the least recently used documents go first, one over the bound is never kept', async () => {
    const { options: opts } = options();
    const store = new PersistedQueryStore({ kind: 'local', maxBytes: 2_500 }, opts);
    const doc = (n: number): string => `# ${'x'.repeat(1_000)}\nquery Q${n} { __typename }`;
    const key = (n: number): string => `apq:${String(n).padStart(64, '0')}`;
    await store.set(key(1), doc(1));
    await store.set(key(2), doc(2));
    expect(await store.get(key(1))).toBe(doc(1));
    // A third does not fit beside two: the least recently used (2) goes.
    await store.set(key(3), doc(3));
    expect([await store.get(key(1)), await store.get(key(2)), await store.get(key(3))]).toEqual([
      doc(1),
      undefined,
      doc(3),
    ]);
    await store.set(key(4), 'x'.repeat(3_000));
    expect(await store.get(key(4))).toBeUndefined();
    expect(await store.get(key(1))).toBe(doc(1));
  });
});
