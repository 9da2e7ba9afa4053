/**
 * The near cache against what Redis does on its own (flushes, expiry, a connection it drops) and against its own
 * bound: a replica must never keep serving a value Redis no longer holds, and must not grow past REDIS_NEAR_CACHE_KEYS.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/cache/redis-store.js';
import type { NearCacheSettings } from '../../src/cache/redis-connection.js';
import { closeRedisConnection, openRedisConnection } from '../../src/cache/redis-connection.js';
import type { RedisConnection } from '../../src/cache/redis-connection.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import { encodeEntry } from '../../src/cache/entry-codec.js';
import { redisCli, startRedis, startRedisCluster } from '../support/redis-server.js';
import type { RedisClusterProcess, RedisProcess } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { makeEntry, makeWrite, sleep } from './fixtures.js';

const TIMEOUT_MS = 2_000;
const SLOW_HOOK_MS = 60_000;
const LONG_KEEP: NearCacheSettings = { ttlMs: 60_000, maxKeys: 1_000 };
const PUSH_WAIT_MS = 2_000;

const stores: RedisStore[] = [];
const connections: RedisConnection[] = [];

function openStore(url: string, nearCache: NearCacheSettings = LONG_KEEP): RedisStore {
  const store = new RedisStore({ url, timeoutMs: TIMEOUT_MS, onError: () => {}, nearCache });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map(async (store) => store.close()));
  await Promise.all(connections.splice(0).map(async (connection) => closeRedisConnection(connection)));
});

describe('near cache and what Redis does by itself', () => {
  let server: RedisProcess;
  const keys = userKeys('', 'events-1', 'v1');

  beforeAll(async () => {
    server = await startRedis();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await server?.stop();
  }, SLOW_HOOK_MS);

  beforeEach(async () => {
    await redisCli(server.port, 'FLUSHALL');
  });

  it('FLUSHALL reaches it as an invalidate-all push: nothing kept is served after', async () => {
    const store = openStore(server.url);
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.readMany([keys]);
    expect(store.nearCache?.keys).toBe(2);

    await redisCli(server.port, 'FLUSHALL');
    await waitFor('the flush to empty the near cache', () => store.nearCache?.keys === 0, PUSH_WAIT_MS);
    expect((await store.readMany([keys]))[0]?.entry).toBeUndefined();
  });

  it('a read whose reply comes with a FLUSHALL behind it keeps nothing: the flushed value is not served after', async () => {
    const store = openStore(server.url);
    await store.writeMany([makeWrite(keys, makeEntry({ label: 'flushed' }))]);
    const other = openRedisConnection({ url: server.url, timeoutMs: TIMEOUT_MS, onError: () => {} });
    const busy = openRedisConnection({ url: server.url, timeoutMs: TIMEOUT_MS, onError: () => {} });
    connections.push(other, busy);
    if (other.kind !== 'redis' || busy.kind !== 'redis') throw new Error('expected single-server connections');
    await Promise.all([other.client.connect(), busy.client.connect()]);

    // Redis held busy, so this replica's GETs and another client's FLUSHALL queue up and run in one go: the GETs'
    // replies (the values before the flush) and the invalidate-all push then leave in one write, one socket event.
    const held = busy.client.sendCommand(['EVAL', 'local i = 0 while i < 30000000 do i = i + 1 end return i', '0']);
    await sleep(30);
    const read = store.readMany([keys]);
    await sleep(30);
    const flushed = other.client.sendCommand(['FLUSHALL']);
    await Promise.all([held, read, flushed]);
    expect(await redisCli(server.port, 'EXISTS', keys.entry)).toBe('0');

    expect((await store.readMany([keys]))[0]?.entry).toBeUndefined();
  });

  it("a key's own expiry (PX) reaches it: the expired list is not served from process", async () => {
    const store = openStore(server.url);
    await redisCli(server.port, 'SET', keys.entry, encodeEntry(makeEntry()), 'PX', '300');
    expect((await store.readMany([keys]))[0]?.entry).toBeDefined();

    await waitFor(
      'the expiry to reach the near cache',
      async () => (await store.readMany([keys]))[0]?.entry === undefined,
      PUSH_WAIT_MS,
    );
  });

  it('a key Redis evicts under maxmemory reaches it: the evicted list is not served from process', async () => {
    const store = openStore(server.url);
    await store.writeMany([makeWrite(keys, makeEntry({ label: 'evicted' }))]);
    expect((await store.readMany([keys]))[0]?.entry).toBeDefined();

    await redisCli(server.port, 'CONFIG', 'SET', 'maxmemory-policy', 'volatile-random');
    try {
      const used = Number(/used_memory:(\d+)/.exec(await redisCli(server.port, 'INFO', 'memory'))?.[1]);
      await redisCli(server.port, 'CONFIG', 'SET', 'maxmemory', String(used + 2 * 1024 * 1024));
      const filler = openRedisConnection({ url: server.url, timeoutMs: TIMEOUT_MS, onError: () => {} });
      connections.push(filler);
      if (filler.kind !== 'redis') throw new Error('expected a single-server connection');
      await filler.client.connect();
      const value = 'x'.repeat(10_000);
      for (let batch = 0; batch < 20 && (await redisCli(server.port, 'EXISTS', keys.entry)) === '1'; batch += 1) {
        // Under a volatile policy only keys with a TTL may go: once the list has, Redis refuses further SETs (OOM).
        await Promise.allSettled(
          Array.from({ length: 50 }, async (_, index) => filler.client.set(`filler-${batch}-${index}`, value)),
        );
      }
      expect(await redisCli(server.port, 'EXISTS', keys.entry)).toBe('0');
    } finally {
      await redisCli(server.port, 'CONFIG', 'SET', 'maxmemory', '0');
      await redisCli(server.port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
    await waitFor(
      'the eviction to reach the near cache',
      async () => (await store.readMany([keys]))[0]?.entry === undefined,
      PUSH_WAIT_MS,
    );
  });

  it('a connection Redis drops is tracked again once back: a later write still invalidates', async () => {
    const store = openStore(server.url);
    await store.writeMany([makeWrite(keys, makeEntry({ label: 'before' }))]);
    await store.readMany([keys]);

    await redisCli(server.port, 'CLIENT', 'KILL', 'TYPE', 'normal');
    await waitFor(
      'the store to read again after the reconnect',
      async () => {
        try {
          return (await store.readMany([keys]))[0]?.entry !== undefined;
        } catch {
          return false;
        }
      },
      10_000,
    );
    expect(await redisCli(server.port, 'CLIENT', 'LIST')).toMatch(/flags=t\b.*resp=3/);

    await redisCli(server.port, 'SET', keys.entry, encodeEntry(makeEntry({ label: 'after' })));
    await waitFor(
      'the write after the reconnect to reach the near cache',
      async () => (await store.readMany([keys]))[0]?.entry?.items[0]?.itemId === 'after-1',
      PUSH_WAIT_MS,
    );
  });
});

type KeyIndex = { keySetEntries(): Iterable<unknown> };

/** Many users read once each: most go out of the near cache by LRU, and Redis never changes them. */
async function readOnce(get: (key: string) => Promise<unknown>, reads: number): Promise<void> {
  await Promise.all(Array.from({ length: reads }, async (_, index) => get(`recs:{once-${index}}:v1`)));
}

describe('near cache bound', () => {
  const maxKeys = 100;
  let server: RedisProcess;
  let cluster: RedisClusterProcess;

  beforeAll(async () => {
    [server, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  }, SLOW_HOOK_MS);

  // node-redis' key index (which Redis key maps to which kept replies) is what an invalidation looks up; an entry for
  // a key no longer kept is memory the configured bound does not count (about 300 bytes a key).
  /** Reads 5,000 keys once each through a near-cached connection, then checks the cache and its key index. */
  async function expectIndexBounded(urls: { url?: string; clusterUrls?: string[] }): Promise<void> {
    const connection = openRedisConnection({
      ...urls,
      timeoutMs: TIMEOUT_MS,
      onError: () => {},
      nearCache: { ttlMs: 60_000, maxKeys },
    });
    connections.push(connection);
    const client = connection.client;
    await client.connect();
    await readOnce(async (key) => client.get(key), 5_000);
    const cache = client.clientSideCache;
    if (cache === undefined) throw new Error('no near cache');
    expect(cache.size()).toBe(maxKeys);
    expect([...(cache as unknown as KeyIndex).keySetEntries()].length).toBeLessThanOrEqual(maxKeys);
  }

  it("keys read once and let go by LRU leave nothing behind in node-redis' key index (single server)", async () => {
    await expectIndexBounded({ url: server.url });
  });

  it('and the same on a cluster, whose node clients share one pooled cache', async () => {
    await expectIndexBounded({ clusterUrls: cluster.urls });
  });
});

describe('near cache on a cluster whose node drops its connections', () => {
  let cluster: RedisClusterProcess;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await cluster?.stop();
  }, SLOW_HOOK_MS);

  /**
   * Reads until the near cache holds every key of `users`: a cluster's clients may still be settling (a slot refresh
   * clears the shared cache too), and what follows needs every value kept.
   */
  async function keptAll(store: RedisStore, users: readonly UserKeys[]): Promise<void> {
    await waitFor(
      'every key to be kept',
      async () => {
        try {
          await store.readMany(users);
        } catch {
          return false;
        }
        return store.nearCache?.keys === users.length * 2;
      },
      10_000,
      () => `${store.nearCache?.keys ?? 0} kept`,
    );
  }

  it('one node lost clears what every node gave; once back, that node tracks again', async () => {
    const urls = { clusterUrls: cluster.urls };
    const reader = new RedisStore({ ...urls, timeoutMs: TIMEOUT_MS, onError: () => {}, nearCache: LONG_KEEP });
    const writer = new RedisStore({ ...urls, timeoutMs: TIMEOUT_MS, onError: () => {}, nearCache: LONG_KEEP });
    stores.push(reader, writer);
    const users = Array.from({ length: 6 }, (_, index) => userKeys('', `dropped-${index}`, 'v1'));
    await writer.writeMany(users.map((user, index) => makeWrite(user, makeEntry({ label: `u${index}` }))));
    await keptAll(reader, users);

    const node = cluster.nodes[0];
    if (node === undefined) throw new Error('a cluster without nodes');
    await redisCli(node.port, 'CLIENT', 'KILL', 'TYPE', 'normal');
    await waitFor(
      'the lost node connection to clear the shared cache',
      () => reader.nearCache?.keys === 0,
      PUSH_WAIT_MS,
    );

    await waitFor(
      'reads to succeed again',
      async () => {
        try {
          return (await reader.readMany(users)).every((snapshot) => snapshot.entry !== undefined);
        } catch {
          return false;
        }
      },
      10_000,
    );
    await keptAll(reader, users);
    await writer.writeMany(users.map((user) => makeWrite(user, makeEntry({ label: 'after' }))));
    await waitFor(
      'every node to invalidate the rewritten lists',
      async () => (await reader.readMany(users)).every((snapshot) => snapshot.entry?.items[0]?.itemId === 'after-1'),
      PUSH_WAIT_MS,
    );
  });
});
