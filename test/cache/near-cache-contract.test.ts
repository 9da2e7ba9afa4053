/**
 * The store contract on a Redis store with the near cache on, as the gateway runs by default: every operation's
 * answer on a RESP3 connection with client tracking (Lua's false, SET NX's null, SCAN), and every read after a change,
 * as without it. One difference is allowed, and bounded here: Redis pushes a key's invalidation when it removes the
 * key (its active expiry or an access), not at the instant its PX passes, and a kept copy is read without an access;
 * so a lapsed TTL may be seen up to the near cache's own TTL late.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisStore } from '../../src/cache/redis-store.js';
import { startRedis, startRedisCluster } from '../support/redis-server.js';
import type { RedisClusterProcess, RedisProcess } from '../support/redis-server.js';
import { registerStoreContract } from './store-contract.js';
import { passOnRedisClock } from './fixtures.js';

const SLOW_HOOK_MS = 60_000;
const SHORT_TTL_MS = 600;
const NEAR_CACHE_MS = 1_000;

describe('RedisStore with the near cache', () => {
  let server: RedisProcess;

  beforeAll(async () => {
    server = await startRedis();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await server?.stop();
  }, SLOW_HOOK_MS);

  registerStoreContract('redis, near cache on', {
    shortTtlMs: SHORT_TTL_MS,
    async create() {
      const store = new RedisStore({
        url: server.url,
        timeoutMs: 2_000,
        onError: () => {},
        nearCache: { ttlMs: NEAR_CACHE_MS, maxKeys: 20_000 },
      });
      return {
        store,
        cleanup: async () => store.close(),
        pass: async (ms) => passOnRedisClock(server.port, ms + NEAR_CACHE_MS),
      };
    },
  });
});

describe('RedisStore with the near cache on a cluster', () => {
  let cluster: RedisClusterProcess;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await cluster?.stop();
  }, SLOW_HOOK_MS);

  registerStoreContract('redis-cluster, near cache on', {
    shortTtlMs: SHORT_TTL_MS,
    async create() {
      const store = new RedisStore({
        clusterUrls: cluster.urls,
        timeoutMs: 2_000,
        onError: () => {},
        nearCache: { ttlMs: NEAR_CACHE_MS, maxKeys: 20_000 },
      });
      const port = cluster.nodes[0]?.port;
      if (port === undefined) throw new Error('a cluster without nodes');
      return {
        store,
        cleanup: async () => store.close(),
        // The nodes run on this machine, so one node's clock is every node's.
        pass: async (ms) => passOnRedisClock(port, ms + NEAR_CACHE_MS),
      };
    },
  });
});
