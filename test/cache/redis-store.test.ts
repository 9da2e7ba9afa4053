/**
 * RedisStore against real redis-server processes started by the harness (never the Redis on 6379): the shared
 * contract on a single server and on a 3-master cluster, plus what only Redis can show (exact keys, PTTL, command
 * counts, foreign values, slots).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/cache/redis-store.js';
import type { RedisStoreOptions } from '../../src/cache/redis-store.js';
import { userKeys, versionScanPatterns } from '../../src/cache/key-scheme.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import { EMPTY_USER_STATE } from '../../src/cache/cache-entry.js';
import { decodePackedEntry } from '../../src/cache/packed-entry.js';
import { runWithStoreDeadline } from '../../src/cache/store-deadline.js';
import { commandCalls, redisCli, startRedis, startRedisCluster } from '../support/redis-server.js';
import type { RedisClusterProcess, RedisProcess } from '../support/redis-server.js';
import { registerStoreContract } from './store-contract.js';
import { LIMITS, makeEntry, makeWrite, passOnRedisClock, purchase } from './fixtures.js';

const TIMEOUT_MS = 2_000;
const SLOW_HOOK_MS = 60_000;
/**
 * The contract's watched TTL on a real server: far above the few round trips between a write and the check that it
 * is still there, even on a loaded machine. The tests wait it out on Redis' own clock (`passOnRedisClock`).
 */
const SHORT_TTL_MS = 600;

/** Connection errors seen by any store of this file; logged, never thrown. */
const connectionErrors: Error[] = [];

function openStore(options: Partial<RedisStoreOptions>): RedisStore {
  return new RedisStore({ timeoutMs: TIMEOUT_MS, onError: (error) => connectionErrors.push(error), ...options });
}

/** `KEYS *` on one node, sorted (an empty reply is no keys). */
async function keysOn(port: number, pattern = '*'): Promise<string[]> {
  const reply = await redisCli(port, 'KEYS', pattern);
  return reply === '' ? [] : reply.split('\n').sort();
}

describe('RedisStore on a single redis-server', () => {
  let server: RedisProcess;

  beforeAll(async () => {
    server = await startRedis();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await server?.stop();
  }, SLOW_HOOK_MS);

  registerStoreContract('redis', {
    shortTtlMs: SHORT_TTL_MS,
    async create() {
      const store = openStore({ url: server.url });
      return { store, cleanup: async () => store.close(), pass: async (ms) => passOnRedisClock(server.port, ms) };
    },
  });

  describe('Redis specifics', () => {
    let store: RedisStore;

    beforeEach(async () => {
      await redisCli(server.port, 'FLUSHALL');
      store = openStore({ url: server.url });
    });

    afterEach(async () => {
      await store.close();
    });

    it('reports its kind', () => {
      expect(store.kind).toBe('redis');
    });

    it('serves a burst of concurrent first calls on a fresh store (they share one connect)', async () => {
      const keys = Array.from({ length: 8 }, (_, index) => userKeys('', `burst${index}`, 'v2'));
      const results = await Promise.all([
        store.readMany(keys),
        store.acquireLeases(keys, 'token', 10_000),
        ...keys.map(async (userKey) => store.recordPurchase(userKey, purchase('p1'), LIMITS)),
        store.ping(),
      ]);
      expect(results[0]).toHaveLength(8);
      expect(results[1]).toEqual(keys.map(() => true));
    });

    it('writes the exact keys of the key scheme, without any Keyv namespace', async () => {
      const keys = userKeys('', '42', 'v2');
      const entry = makeEntry({ modelVersion: 'v2' });
      expect(await store.writeMany([makeWrite(keys, entry)])).toEqual([true]);
      expect(await keysOn(server.port)).toEqual(['recs:{42}:v2']);

      // The read path (Keyv + @keyv/redis) must look under the same key the Lua script wrote.
      const [snapshot] = await store.readMany([keys]);
      expect(snapshot?.entry).toEqual(entry);

      await store.recordPurchase(keys, purchase('p1'), LIMITS);
      await store.acquireLeases([keys], 'token', 10_000);
      expect(await keysOn(server.port)).toEqual(['recs:{42}:state', 'recs:{42}:v2:lease']);
      expect(await redisCli(server.port, 'GET', 'recs:{42}:v2:lease')).toBe('token');
      const [afterPurchase] = await store.readMany([keys]);
      expect(afterPurchase?.state.generation).toBe(1);
    });

    it('puts the configured key prefix in front, once', async () => {
      const keys = userKeys('prod:', '42', 'v2');
      const entry = makeEntry();
      await store.writeMany([makeWrite(keys, entry)]);
      expect(await keysOn(server.port)).toEqual(['prod:recs:{42}:v2']);
      const [snapshot] = await store.readMany([keys]);
      expect(snapshot?.entry).toEqual(entry);
      // Not readable under the unprefixed key.
      const [unprefixed] = await store.readMany([userKeys('', '42', 'v2')]);
      expect(unprefixed?.entry).toBeUndefined();
    });

    it('stores the entry in the e2 wire format (packed, see packed-entry.ts), not a Keyv envelope', async () => {
      const keys = userKeys('', '42', 'v2');
      const entry = makeEntry({ items: [{ itemId: 'i7', score: 0.5 }] });
      await store.writeMany([makeWrite(keys, entry)]);
      const raw = await redisCli(server.port, 'GET', 'recs:{42}:v2');
      expect(raw).toMatch(/^e2:[A-Za-z0-9_-]+$/);
      expect(decodePackedEntry(raw)).toEqual(entry);
    });

    it('sets the physical TTL of an entry and of the state (PTTL)', async () => {
      const keys = userKeys('', '42', 'v2');
      await store.writeMany([makeWrite(keys, makeEntry(), { ttlMs: 60_000 })]);
      const entryTtl = Number(await redisCli(server.port, 'PTTL', 'recs:{42}:v2'));
      expect(entryTtl).toBeGreaterThan(55_000);
      expect(entryTtl).toBeLessThanOrEqual(60_000);

      await store.recordPurchase(userKeys('', '43', 'v2'), purchase('p1'), { maxRemembered: 5, stateTtlMs: 30_000 });
      const stateTtl = Number(await redisCli(server.port, 'PTTL', 'recs:{43}:state'));
      expect(stateTtl).toBeGreaterThan(25_000);
      expect(stateTtl).toBeLessThanOrEqual(30_000);

      await store.acquireLeases([keys], 'token', 5_000);
      const leaseTtl = Number(await redisCli(server.port, 'PTTL', 'recs:{42}:v2:lease'));
      expect(leaseTtl).toBeGreaterThan(0);
      expect(leaseTtl).toBeLessThanOrEqual(5_000);
    });

    it('reads N users with exactly one MGET', async () => {
      const keys = Array.from({ length: 25 }, (_, index) => userKeys('', `user${index}`, 'v2'));
      await store.writeMany(keys.slice(0, 10).map((userKey) => makeWrite(userKey, makeEntry())));
      await store.ping();

      await redisCli(server.port, 'CONFIG', 'RESETSTAT');
      const snapshots = await store.readMany(keys);
      const info = await redisCli(server.port, 'INFO', 'commandstats');

      expect(snapshots).toHaveLength(25);
      expect(snapshots.filter((snapshot) => snapshot.entry !== undefined)).toHaveLength(10);
      expect(commandCalls(info, 'mget')).toBe(1);
      expect(commandCalls(info, 'get')).toBe(0);
      expect(commandCalls(info, 'exists')).toBe(0);
    });

    it('reads asked in one turn by several callers (requests) share one MGET, each caller getting its own users', async () => {
      const keys = Array.from({ length: 6 }, (_, index) => userKeys('', `turn${index}`, 'v2'));
      const entries = keys.map((_, index) => makeEntry({ label: `turn-${index}` }));
      await store.writeMany(keys.map((userKey, index) => makeWrite(userKey, entries[index] ?? makeEntry())));
      await store.ping();

      await redisCli(server.port, 'CONFIG', 'RESETSTAT');
      const reads = await Promise.all([
        store.readMany(keys.slice(0, 1)),
        store.readMany(keys.slice(1, 4)),
        store.readMany([]),
        store.readMany(keys.slice(4)),
      ]);
      const info = await redisCli(server.port, 'INFO', 'commandstats');

      expect(reads.map((snapshots) => snapshots.map((snapshot) => snapshot.entry))).toEqual([
        entries.slice(0, 1),
        entries.slice(1, 4),
        [],
        entries.slice(4),
      ]);
      expect(commandCalls(info, 'mget')).toBe(1);
    });

    it('a read under a shortened request deadline is sent on its own, bounded by that deadline', async () => {
      const keys = [userKeys('', 'alone0', 'v2'), userKeys('', 'alone1', 'v2')];
      await store.ping();
      await redisCli(server.port, 'CONFIG', 'RESETSTAT');
      await Promise.all([
        store.readMany(keys.slice(0, 1)),
        runWithStoreDeadline(performance.now() + 1_000, () => store.readMany(keys.slice(1))),
      ]);
      const info = await redisCli(server.port, 'INFO', 'commandstats');
      expect(commandCalls(info, 'mget')).toBe(2);
    });

    it('decodes the same bytes once, and reads whatever Redis holds now: replaced, deleted, back again', async () => {
      const keys = userKeys('', '42', 'v2');
      const first = makeEntry({ label: 'first' });
      await store.writeMany([makeWrite(keys, first)]);
      const [a] = await store.readMany([keys]);
      const [b] = await store.readMany([keys]);
      expect(a?.entry).toEqual(first);
      // The same stored bytes: the very same decoded object (and so lists ranked once per cached entry), frozen,
      // since users whose lists are byte-identical share it.
      expect(b?.entry).toBe(a?.entry);
      expect(Object.isFrozen(a?.entry) && Object.isFrozen(a?.entry?.items) && Object.isFrozen(a?.entry?.items[0])).toBe(
        true,
      );

      // Replaced behind the store's back (another replica's write): the new bytes are read, never the memo.
      const second = makeEntry({ label: 'second' });
      await redisCli(
        server.port,
        'SET',
        'recs:{42}:v2',
        (await redisCli(server.port, 'GET', 'recs:{42}:v2')).replace(/^e2:/, 'x'),
      );
      expect((await store.readMany([keys]))[0]?.entry).toBeUndefined();
      await redisCli(server.port, 'DEL', 'recs:{42}:v2');
      expect((await store.readMany([keys]))[0]?.entry).toBeUndefined();
      await store.writeMany([makeWrite(keys, second)]);
      expect((await store.readMany([keys]))[0]?.entry).toEqual(second);
      // The first bytes again: equal to the first entry, whichever object answers.
      await store.writeMany([makeWrite(keys, first)]);
      expect((await store.readMany([keys]))[0]?.entry).toEqual(first);
    });

    it('reads an entry in an unknown format as a miss, not an error', async () => {
      const keys = ['a', 'b', 'c', 'd'].map((user) => userKeys('', user, 'v2'));
      await redisCli(server.port, 'SET', 'recs:{a}:v2', 'garbage');
      await redisCli(server.port, 'SET', 'recs:{b}:v2', '["e0","v2",1,2,3,4,[]]');
      await redisCli(server.port, 'SET', 'recs:{c}:v2', '{"value":["e1"],"expires":null}');
      await store.writeMany([makeWrite(keys[3] as UserKeys, makeEntry({ label: 'd' }))]);

      const snapshots = await store.readMany(keys);
      expect(snapshots.map((snapshot) => snapshot.entry?.items[0]?.itemId)).toEqual([
        undefined,
        undefined,
        undefined,
        'd-1',
      ]);
    });

    it('reads a state in an unknown format as generation 0, and the scripts agree', async () => {
      const keys = userKeys('', '42', 'v2');
      await redisCli(server.port, 'SET', 'recs:{42}:state', '{not json');
      const [snapshot] = await store.readMany([keys]);
      expect(snapshot?.state).toEqual(EMPTY_USER_STATE);
      // The compare-and-set script also reads it as generation 0 ...
      expect(await store.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 0 })])).toEqual([true]);
      // ... and a purchase replaces it with a valid state.
      await store.recordPurchase(keys, purchase('p1', 5), LIMITS);
      const [after] = await store.readMany([keys]);
      expect(after?.state).toEqual({ generation: 1, bought: [purchase('p1', 5)] });
    });

    it("reads the scripts' cjson state, including `{}` for no purchases", async () => {
      const keys = userKeys('', '42', 'v2');
      await store.recordPurchase(keys, purchase('p1'), { maxRemembered: 0, stateTtlMs: 60_000 });
      // cjson cannot tell an empty Lua table from an empty object, so "no purchases" is stored as `{}`.
      expect(JSON.parse(await redisCli(server.port, 'GET', 'recs:{42}:state'))).toEqual({ gen: 1, bought: {} });
      const [snapshot] = await store.readMany([keys]);
      expect(snapshot?.state).toEqual({ generation: 1, bought: [] });
    });

    it('keeps full-precision millisecond timestamps of purchases through cjson', async () => {
      const keys = userKeys('', '42', 'v2');
      const at = 1_764_230_400_123;
      await store.recordPurchase(keys, purchase('p1', at), LIMITS);
      await store.recordPurchase(keys, purchase('p2', at + 1), LIMITS);
      const [snapshot] = await store.readMany([keys]);
      expect(snapshot?.state.bought).toEqual([purchase('p2', at + 1), purchase('p1', at)]);
    });

    it('reports an unreadable order record as taken by nobody (a conflict), and leaves it there', async () => {
      await redisCli(server.port, 'SET', 'recs:order:o1', '{not json');
      const pending = { userId: 'u1', itemId: 'i1', status: 'pending', invalidated: false } as const;
      expect(await store.claimOrder('recs:order:o1', pending, 60_000)).toEqual({
        userId: '',
        itemId: '',
        status: 'done',
        invalidated: false,
      });
      expect(await redisCli(server.port, 'GET', 'recs:order:o1')).toBe('{not json');
    });

    it('loads its scripts again after SCRIPT FLUSH (NOSCRIPT fallback)', async () => {
      const keys = userKeys('', '42', 'v2');
      await store.writeMany([makeWrite(keys, makeEntry())]);
      await redisCli(server.port, 'SCRIPT', 'FLUSH');
      expect(await store.writeMany([makeWrite(keys, makeEntry({ label: 'again' }))])).toEqual([true]);
      await redisCli(server.port, 'SCRIPT', 'FLUSH');
      expect(await store.recordPurchase(keys, purchase('p1'), LIMITS)).toBe(true);
    });
  });
});

describe('RedisStore on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterProcess;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await cluster?.stop();
  }, SLOW_HOOK_MS);

  registerStoreContract('redis-cluster', {
    shortTtlMs: SHORT_TTL_MS,
    async create() {
      const store = openStore({ clusterUrls: cluster.urls });
      return {
        store,
        cleanup: async () => store.close(),
        // The nodes run on this machine, so one node's clock is every node's.
        pass: async (ms) => passOnRedisClock(cluster.nodes[0]!.port, ms),
      };
    },
  });

  describe('Cluster specifics', () => {
    let store: RedisStore;

    /** Port of the master that holds `key`, found by asking every node (only the owner has it). */
    async function ownerOf(key: string): Promise<number> {
      for (const node of cluster.nodes) {
        if ((await keysOn(node.port, key.replace(/[{}*?[\]\\]/g, '\\$&'))).length > 0) return node.port;
      }
      throw new Error(`no node holds ${key}`);
    }

    beforeEach(async () => {
      await Promise.all(cluster.nodes.map(async (node) => redisCli(node.port, 'FLUSHALL')));
      store = openStore({ clusterUrls: cluster.urls });
    });

    afterEach(async () => {
      await store.close();
    });

    it('reports its kind', () => {
      expect(store.kind).toBe('redis-cluster');
    });

    it('serves a burst of concurrent first calls on a fresh store (slot map loaded before use)', async () => {
      const keys = Array.from({ length: 8 }, (_, index) => userKeys('', `burst${index}`, 'v2'));
      const results = await Promise.all(
        keys.map(async (userKey) => store.recordPurchase(userKey, purchase('p1'), LIMITS)),
      );
      expect(results).toEqual(keys.map(() => false));
      const snapshots = await store.readMany(keys);
      expect(snapshots.map((snapshot) => snapshot.state.generation)).toEqual(keys.map(() => 1));
    });

    it('reads users in different slots and on different masters in one call (no CROSSSLOT)', async () => {
      const users = Array.from({ length: 12 }, (_, index) => `user${index}`);
      const keys = users.map((user) => userKeys('', user, 'v2'));
      const slots = await Promise.all(
        keys.map(async (userKey) =>
          Number(await redisCli(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', userKey.entry)),
        ),
      );
      expect(new Set(slots).size).toBe(users.length);

      // Every second user gets a list, every third a purchase.
      await Promise.all(
        keys.map(async (userKey, index) =>
          index % 3 === 0 ? store.recordPurchase(userKey, purchase(`p${index}`), LIMITS) : false,
        ),
      );
      const written = await store.writeMany(
        keys.flatMap((userKey, index) =>
          index % 2 === 0
            ? [makeWrite(userKey, makeEntry({ label: users[index] }), { expectedGeneration: index % 3 === 0 ? 1 : 0 })]
            : [],
        ),
      );
      expect(written.every(Boolean)).toBe(true);

      const owners = new Set(
        await Promise.all(keys.filter((_, index) => index % 2 === 0).map(async (userKey) => ownerOf(userKey.entry))),
      );
      expect(owners.size).toBeGreaterThan(1);

      const snapshots = await store.readMany(keys);
      expect(snapshots.map((snapshot) => snapshot.entry?.items[0]?.itemId)).toEqual(
        users.map((user, index) => (index % 2 === 0 ? `${user}-1` : undefined)),
      );
      expect(snapshots.map((snapshot) => snapshot.state.generation)).toEqual(
        users.map((_, index) => (index % 3 === 0 ? 1 : 0)),
      );
    });

    it('writes the exact key on the owning master', async () => {
      const keys = userKeys('prod:', '42', 'v2');
      await store.writeMany([makeWrite(keys, makeEntry())]);
      const port = await ownerOf('prod:recs:{42}:v2');
      expect(await keysOn(port)).toEqual(['prod:recs:{42}:v2']);
      expect(await redisCli(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', 'prod:recs:{42}:v2')).toBe(
        await redisCli(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', '42'),
      );
    });

    it('purges a version on every master', async () => {
      const keys = Array.from({ length: 30 }, (_, index) => userKeys('', `user${index}`, 'v1'));
      const v2Keys = keys.slice(0, 5).map((_, index) => userKeys('', `user${index}`, 'v2'));
      await store.writeMany([...keys, ...v2Keys].map((userKey) => makeWrite(userKey, makeEntry())));
      await store.acquireLeases(keys.slice(0, 4), 'token', 60_000);
      await store.recordPurchase(userKeys('', 'buyer', 'v1'), purchase('p1'), LIMITS);

      // Precondition: the version really is spread over all three masters.
      const before = await Promise.all(cluster.nodes.map(async (node) => keysOn(node.port, '*:v1')));
      expect(before.every((nodeKeys) => nodeKeys.length > 0)).toBe(true);

      const removed = await store.purgeVersion(versionScanPatterns('', 'v1'), 5);
      expect(removed).toBe(30 + 4);

      const after = await Promise.all(cluster.nodes.map(async (node) => keysOn(node.port, 'recs:*:v1*')));
      expect(after.flat()).toEqual([]);
      const remaining = (await Promise.all(cluster.nodes.map(async (node) => keysOn(node.port)))).flat().sort();
      expect(remaining).toEqual([...v2Keys.map((userKey) => userKey.entry), 'recs:{buyer}:state'].sort());
    });
  });
});
