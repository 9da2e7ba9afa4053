/**
 * What a read leaves in Redis, seen from redis-cli on a private redis-server: the exact key of the key scheme
 * (`<prefix>recs:{<userId>}:<version>`), no Keyv namespace, no doubled prefix, and a physical TTL of
 * fresh TTL (±10% jitter) + grace.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, classifyKeys, expectEntryKeys, keysOn, readRecs } from './helpers.js';
import { decodePackedEntry } from '../../src/cache/packed-entry.js';

/** The recompute lease lasts 10 s (app.ts leaseMs). */
const LEASE_MS = 10_000;

const TTL_SECONDS = 300;
const GRACE_SECONDS = 120;
const JITTER = 0.1;
/** Time that may pass between the write and the PTTL probe (the probe spawns redis-cli). */
const PROBE_SLACK_MS = 5_000;

describe('Redis keys written by a read', () => {
  let redis: RedisProcess;
  const perTest = new Cleanups();

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterEach(async () => {
    await perTest.run();
    await redisCli(redis.port, 'FLUSHALL');
  });

  afterAll(async () => {
    await redis?.stop();
  });

  async function gateway(env: Record<string, string>): Promise<string> {
    const started = await startGateway({
      REDIS_URL: redis.url,
      CACHE_TTL_SECONDS: String(TTL_SECONDS),
      CACHE_GRACE_SECONDS: String(GRACE_SECONDS),
      ...env,
    });
    perTest.add(() => started.close());
    return started.url;
  }

  it('MODEL_VERSION=v2: exactly the key recs:{u42}:v2, holding a v2 entry, with PTTL = fresh TTL ± jitter + grace', async () => {
    const url = await gateway({ MODEL_VERSION: 'v2' });
    expect(await keysOn(redis.port)).toEqual([]);

    const list = await readRecs(url, 'u42');
    expect(list.source).toBe('MODEL');
    expect(list.modelVersion).toBe('v2');

    const keys = await keysOn(redis.port);
    expectEntryKeys(keys, ['recs:{u42}:v2']);
    expect(await redisCli(redis.port, 'TYPE', 'recs:{u42}:v2')).toBe('string');
    // A lease, if the store keeps it after the write, is the entry's own and lapses within the lease time.
    for (const lease of classifyKeys(keys).leases) {
      expect(lease).toBe('recs:{u42}:v2:lease');
      const leasePttl = Number(await redisCli(redis.port, 'PTTL', lease));
      expect(leasePttl).toBeGreaterThan(0);
      expect(leasePttl).toBeLessThanOrEqual(LEASE_MS);
    }

    const pttl = Number(await redisCli(redis.port, 'PTTL', 'recs:{u42}:v2'));
    const fresh = TTL_SECONDS * 1000;
    const grace = GRACE_SECONDS * 1000;
    const lowest = fresh * (1 - JITTER) + grace - PROBE_SLACK_MS;
    const highest = fresh * (1 + JITTER) + grace;
    expect(pttl).toBeGreaterThanOrEqual(lowest);
    expect(pttl).toBeLessThanOrEqual(highest);

    // The stored value is the entry itself (format e2, packed; version v2), not a Keyv envelope.
    const raw = await redisCli(redis.port, 'GET', 'recs:{u42}:v2');
    expect(raw).toMatch(/^e2:[A-Za-z0-9_-]+$/);
    expect(decodePackedEntry(raw)?.modelVersion).toBe('v2');
    expect(raw).not.toMatch(/keyv|"expires"/);

    // A second read is a hit on that key and adds nothing (no user state, no other key).
    expect((await readRecs(url, 'u42')).source).toBe('CACHE');
    expectEntryKeys(await keysOn(redis.port), ['recs:{u42}:v2']);
  });

  it('the fresh part really is jittered around CACHE_TTL_SECONDS (several users, all within ±10%)', async () => {
    const url = await gateway({ MODEL_VERSION: 'v2' });
    const users = Array.from({ length: 8 }, (_, index) => `jit-${index}`);
    for (const user of users) await readRecs(url, user);
    const pttls = await Promise.all(
      users.map(async (user) => Number(await redisCli(redis.port, 'PTTL', `recs:{${user}}:v2`))),
    );
    for (const pttl of pttls) {
      expect(pttl).toBeGreaterThanOrEqual(TTL_SECONDS * 1000 * (1 - JITTER) + GRACE_SECONDS * 1000 - PROBE_SLACK_MS);
      expect(pttl).toBeLessThanOrEqual(TTL_SECONDS * 1000 * (1 + JITTER) + GRACE_SECONDS * 1000);
    }
    // With 8 uniform draws over ±30 s, identical TTLs would mean no jitter at all.
    expect(new Set(pttls.map((pttl) => Math.round(pttl / 1000))).size).toBeGreaterThan(1);
  });

  it('CACHE_KEY_PREFIX=prod: the key is prod:recs:{u42}:v2, with no keyv and no doubled prefix', async () => {
    const url = await gateway({ MODEL_VERSION: 'v2', CACHE_KEY_PREFIX: 'prod' });
    const list = await readRecs(url, 'u42');
    expect(list.source).toBe('MODEL');

    const keys = await keysOn(redis.port);
    expectEntryKeys(keys, ['prod:recs:{u42}:v2'], ['prod:']);
    for (const key of keys) {
      expect(key).not.toMatch(/keyv/);
      expect(key).not.toMatch(/prod:?prod/);
      expect(key).not.toMatch(/::/);
    }
    expect((await readRecs(url, 'u42')).source).toBe('CACHE');
  });

  it('CACHE_KEY_PREFIX=prod: (already ending in a colon) is not doubled either: prod:recs:{u42}:v2', async () => {
    const url = await gateway({ MODEL_VERSION: 'v2', CACHE_KEY_PREFIX: 'prod:' });
    await readRecs(url, 'u42');
    const keys = await keysOn(redis.port);
    expectEntryKeys(keys, ['prod:recs:{u42}:v2'], ['prod:']);
    for (const key of keys) expect(key).not.toMatch(/prod:?prod|::/);
    expect((await readRecs(url, 'u42')).source).toBe('CACHE');
  });

  it('no key of any read contains keyv, with and without a prefix', async () => {
    const plain = await gateway({ MODEL_VERSION: 'v2' });
    const prefixed = await gateway({ MODEL_VERSION: 'v2', CACHE_KEY_PREFIX: 'prod:' });
    await readRecs(plain, 'a1');
    await readRecs(prefixed, 'a1');
    const keys = await keysOn(redis.port);
    expectEntryKeys(keys, ['prod:recs:{a1}:v2', 'recs:{a1}:v2'], ['', 'prod:']);
    expect(keys.filter((key) => /keyv/i.test(key))).toEqual([]);
  });
});
