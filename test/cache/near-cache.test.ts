/**
 * The Redis store's near cache (node-redis client-side caching over RESP3 `CLIENT TRACKING`) on real redis-server
 * processes: hot keys answered in process, and everything that must drop a kept value (another replica's purchase,
 * any client's write, this replica's own purchase, a lost connection, the local TTL) on a single server and a cluster.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/cache/redis-store.js';
import type { NearCacheSettings } from '../../src/cache/redis-connection.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { encodeEntry } from '../../src/cache/entry-codec.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { commandCalls, redisCli, startRedis, startRedisCluster } from '../support/redis-server.js';
import type { RedisClusterProcess, RedisProcess } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { LIMITS, makeEntry, makeWrite, purchase, sleep } from './fixtures.js';

const TIMEOUT_MS = 2_000;
const SLOW_HOOK_MS = 60_000;
/** Far longer than any test: a kept value that goes away did so because it was invalidated, not because it lapsed. */
const LONG_KEEP: NearCacheSettings = { ttlMs: 60_000, maxKeys: 1_000 };
/** How long an invalidation may take to reach another process's near cache here: milliseconds, with room for load. */
const PUSH_WAIT_MS = 2_000;

const stores: RedisStore[] = [];

function openStore(urls: { url?: string; clusterUrls?: string[] }, nearCache?: NearCacheSettings): RedisStore {
  const store = new RedisStore({ timeoutMs: TIMEOUT_MS, onError: () => {}, nearCache, ...urls });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map(async (store) => store.close()));
});

async function getCalls(port: number): Promise<number> {
  return commandCalls(await redisCli(port, 'INFO', 'commandstats'), 'get');
}

describe('near cache on a single redis-server', () => {
  let server: RedisProcess;
  const keys = userKeys('', 'near-1', 'v1');

  beforeAll(async () => {
    server = await startRedis();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await server?.stop();
  }, SLOW_HOOK_MS);

  beforeEach(async () => {
    await redisCli(server.port, 'FLUSHALL');
    await redisCli(server.port, 'CONFIG', 'RESETSTAT');
  });

  it('speaks RESP3 with tracking on, and answers a hot key in process: the second read sends nothing', async () => {
    const store = openStore({ url: server.url }, LONG_KEEP);
    const entry = makeEntry({ label: 'hot' });
    await store.writeMany([makeWrite(keys, entry)]);

    const [first] = await store.readMany([keys]);
    expect(first?.entry).toEqual(entry);
    const clients = await redisCli(server.port, 'CLIENT', 'LIST');
    expect(clients).toMatch(/flags=t\b.*resp=3/);

    const sent = await getCalls(server.port);
    const hitsBefore = store.nearCache?.hits ?? 0;
    const [second] = await store.readMany([keys]);
    expect(second?.entry).toEqual(entry);
    expect(await getCalls(server.port)).toBe(sent);
    expect(store.nearCache?.hits).toBe(hitsBefore + 2); // the list and the user's state
    expect(store.nearCache?.keys).toBe(2);
  });

  it("another replica's purchase reaches this one's near cache long before its TTL", async () => {
    const reader = openStore({ url: server.url }, LONG_KEEP);
    const buyer = openStore({ url: server.url }, LONG_KEEP);
    await buyer.writeMany([makeWrite(keys, makeEntry({ label: 'before' }))]);
    const [kept] = await reader.readMany([keys]);
    expect(kept?.entry?.items[0]?.itemId).toBe('before-1');

    await buyer.recordPurchase(keys, purchase('before-1'), LIMITS);
    await waitFor(
      'the purchase to reach the other replica',
      async () => (await reader.readMany([keys]))[0]?.entry === undefined,
      PUSH_WAIT_MS,
    );
    const [after] = await reader.readMany([keys]);
    expect(after?.state.generation).toBe(1);
    expect(after?.state.bought.map((bought) => bought.itemId)).toEqual(['before-1']);
  });

  it('a write by any client (here redis-cli) replaces what was kept', async () => {
    const store = openStore({ url: server.url }, LONG_KEEP);
    await store.writeMany([makeWrite(keys, makeEntry({ label: 'old' }))]);
    await store.readMany([keys]);

    await redisCli(server.port, 'SET', keys.entry, encodeEntry(makeEntry({ label: 'new' })));
    await waitFor(
      'the new list to be read',
      async () => (await store.readMany([keys]))[0]?.entry?.items[0]?.itemId === 'new-1',
      PUSH_WAIT_MS,
    );
  });

  it("this replica's own purchase drops its copies at once: the very next read sees it", async () => {
    const store = openStore({ url: server.url }, LONG_KEEP);
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.readMany([keys]);

    await store.recordPurchase(keys, purchase('a-1'), LIMITS);
    const [after] = await store.readMany([keys]);
    expect(after?.entry).toBeUndefined();
    expect(after?.state.generation).toBe(1);
  });

  it('a purchase Redis did not take in time drops the copies too: they may predate a purchase that lands late', async () => {
    const store = new RedisStore({ url: server.url, timeoutMs: 200, onError: () => {}, nearCache: LONG_KEEP });
    stores.push(store);
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.readMany([keys]);
    expect(store.nearCache?.keys).toBe(2);

    // Writes wait, reads do not: the purchase's script times out unrun, so no invalidation has come from Redis.
    await redisCli(server.port, 'CLIENT', 'PAUSE', '1000', 'WRITE');
    await expect(store.recordPurchase(keys, purchase('a-1'), LIMITS)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.nearCache?.keys).toBe(0);
    await redisCli(server.port, 'CLIENT', 'UNPAUSE');
  });

  it('the TTL bounds how long a value is kept without any invalidation', async () => {
    const store = openStore({ url: server.url }, { ttlMs: 150, maxKeys: 1_000 });
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.readMany([keys]);
    const sent = await getCalls(server.port);
    await sleep(300); // the local TTL lapsing is the scenario
    await store.readMany([keys]);
    expect(await getCalls(server.port)).toBe(sent + 2);
    // The lapsed entries were replaced, not added to: the invalidation index holds what the cache holds.
    expect(store.nearCache?.keys).toBe(2);
    expect(store.nearCache?.indexedKeys).toBe(2);
  });

  it('keeps at most maxKeys keys, least recently used going first', async () => {
    const store = openStore({ url: server.url }, { ttlMs: 60_000, maxKeys: 4 });
    const users = Array.from({ length: 5 }, (_, index) => userKeys('', `bounded-${index}`, 'v1'));
    for (const user of users) await store.readMany([user]);
    expect(store.nearCache?.keys).toBe(4);
    expect(store.nearCache?.evictions).toBeGreaterThanOrEqual(6);
    // The invalidation index goes with the entries: a replica reading ever new users does not grow.
    expect(store.nearCache?.indexedKeys).toBe(4);
  });

  it('without settings there is no near cache: RESP2, one MGET per read, nothing kept', async () => {
    const store = openStore({ url: server.url });
    await store.readMany([keys]);
    await store.readMany([keys]);
    const stats = await redisCli(server.port, 'INFO', 'commandstats');
    expect(commandCalls(stats, 'mget')).toBe(2);
    expect(commandCalls(stats, 'get')).toBe(0);
    expect(store.nearCache).toBeUndefined();
    expect(await redisCli(server.port, 'CLIENT', 'LIST')).not.toMatch(/resp=3/);
  });
});

describe('near cache when Redis goes away', () => {
  let server: RedisProcess;

  afterEach(async () => {
    await server?.stop();
  }, SLOW_HOOK_MS);

  it('a lost connection clears it: with Redis killed, nothing read before is served', async () => {
    server = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const keys = userKeys('', 'killed', 'v1');
    const store = openStore({ url: server.url }, LONG_KEEP);
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.readMany([keys]);
    expect(store.nearCache?.keys).toBe(2);

    await server.kill();
    await waitFor('the lost connection to clear the near cache', () => store.nearCache?.keys === 0, PUSH_WAIT_MS);
    await expect(store.readMany([keys])).rejects.toBeInstanceOf(StoreUnavailableError);

    // Back with its data: read from Redis again, then kept again.
    await server.restart();
    await waitFor(
      'reads to reach the restarted Redis',
      async () => {
        try {
          return (await store.readMany([keys]))[0]?.entry !== undefined;
        } catch {
          return false;
        }
      },
      10_000,
    );
    expect(store.nearCache?.keys).toBe(2);
  });
});

describe('near cache on a Redis Cluster', () => {
  let cluster: RedisClusterProcess;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await cluster?.stop();
  }, SLOW_HOOK_MS);

  it("another replica's purchase reaches this one's near cache; hot keys are answered in process", async () => {
    const urls = { clusterUrls: cluster.urls };
    const reader = openStore(urls, LONG_KEEP);
    const buyer = openStore(urls, LONG_KEEP);
    const users = Array.from({ length: 6 }, (_, index) => userKeys('', `cluster-near-${index}`, 'v1'));
    await buyer.writeMany(users.map((user, index) => makeWrite(user, makeEntry({ label: `u${index}` }))));
    await reader.readMany(users);
    const hitsBefore = reader.nearCache?.hits ?? 0;
    const kept = await reader.readMany(users);
    expect(kept.map((snapshot) => snapshot.entry?.items[0]?.itemId)).toEqual(users.map((_, index) => `u${index}-1`));
    expect(reader.nearCache?.hits).toBe(hitsBefore + users.length * 2);

    const bought = users[3];
    if (bought === undefined) throw new Error('no user');
    await buyer.recordPurchase(bought, purchase('u3-1'), LIMITS);
    await waitFor(
      'the purchase to reach the other replica',
      async () => (await reader.readMany([bought]))[0]?.entry === undefined,
      PUSH_WAIT_MS,
    );
    const others = await reader.readMany(users.filter((user) => user !== bought));
    expect(others.every((snapshot) => snapshot.entry !== undefined)).toBe(true);
  });
});
