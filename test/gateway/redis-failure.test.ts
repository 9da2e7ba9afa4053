/**
 * Redis outages degrade the gateway instead of failing or hanging it: with Redis down (at start, or killed
 * mid-run) reads answer from the model, `/readyz` says `degraded` (still 200), and once Redis is back the gateway
 * caches again by itself. Elapsed-time bounds are hang guards, not performance claims.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { freePort } from '../support/free-port.js';
import { commandCalls, redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, READ_QUERY, classifyKeys, describeBody, keysOn, readRecs, sleep, within } from './helpers.js';
import type { RecList } from './helpers.js';
import { waitFor } from '../support/wait.js';
import { readyz as readyzOf } from '../support/readyz.js';

const REDIS_TIMEOUT_MS = 300;
const HANG_GUARD_MS = 3_000;

interface ReadyReport {
  ready: boolean;
  status: string;
  store: { kind: string; up: boolean };
}

const readyz = (gateway: InProcessGateway) => readyzOf<ReadyReport>(gateway.origin);

/** A read with its elapsed wall time; fails on GraphQL errors. */
async function timedRead(url: string, userId: string): Promise<{ list: RecList; elapsedMs: number }> {
  const started = performance.now();
  const list = await within(HANG_GUARD_MS * 3, readRecs(url, userId, 10), `read of ${userId}`);
  return { list, elapsedMs: performance.now() - started };
}

describe('Redis down', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  async function gatewayOn(redisUrl: string): Promise<InProcessGateway> {
    const gateway = await startGateway({ REDIS_URL: redisUrl, REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS) });
    // Closing must not hang on a Redis that is not there either.
    cleanups.add(() => within(HANG_GUARD_MS * 2, gateway.close(), 'gateway.close()'));
    return gateway;
  }

  it('at start (nothing listening on REDIS_URL): reads answer from the model, and /readyz is degraded (200)', async () => {
    const deadPort = await freePort();
    const gateway = await gatewayOn(`redis://127.0.0.1:${deadPort}`);
    expect(gateway.app.store.kind).toBe('redis');

    const { list, elapsedMs } = await timedRead(gateway.url, 'down-1');
    expect(list.source).toBe('MODEL');
    expect(list.items).toHaveLength(10);
    expect(list.items[0]?.item.id).toMatch(/\S/);
    expect(elapsedMs).toBeLessThan(HANG_GUARD_MS);

    // Nothing could be cached, so the same user is computed again, still without hanging.
    const again = await timedRead(gateway.url, 'down-1');
    expect(again.list.source).toBe('MODEL');
    expect(again.list.items.map((item) => item.item.id)).toEqual(list.items.map((item) => item.item.id));
    expect(again.elapsedMs).toBeLessThan(HANG_GUARD_MS);

    const ready = await within(HANG_GUARD_MS, readyz(gateway), '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, status: 'degraded', store: { kind: 'redis', up: false } });
  });

  it('at start: many concurrent requests all answer, none hangs', async () => {
    const deadPort = await freePort();
    const gateway = await gatewayOn(`redis://127.0.0.1:${deadPort}`);
    const started = performance.now();
    const results = await within(
      HANG_GUARD_MS * 3,
      Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          postGraphQL(gateway.url, READ_QUERY, { userId: `burst-${index}`, first: 3 }),
        ),
      ),
      'burst of reads',
    );
    for (const { status, body } of results) {
      expect(body.errors, describeBody(body)).toBeUndefined();
      expect(status).toBe(200);
      expect((body.data?.recommendations as RecList).source).toBe('MODEL');
    }
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS * 2);
  });

  it('down at start, then Redis comes up on that port: the gateway connects by itself and caches', async () => {
    const port = await freePort();
    const gateway = await gatewayOn(`redis://127.0.0.1:${port}`);
    expect((await timedRead(gateway.url, 'late-0')).list.source).toBe('MODEL');
    expect((await readyz(gateway)).body.status).toBe('degraded');

    const redis = await startRedis({ port });
    cleanups.add(() => redis.stop());

    // (A prefix of its own: `late-0` above may still be written by a request that timed out while Redis was down.)
    const recovered = await pollUntilCached(gateway.url, 'late-poll');
    expect(recovered, 'no read came back as CACHE within 10 s of Redis starting').toBe(true);
    const ready = await readyz(gateway);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, status: 'ready', store: { up: true } });
  });

  it('operations that timed out while Redis was down are dropped, not replayed once it comes up', async () => {
    const port = await freePort();
    const gateway = await gatewayOn(`redis://127.0.0.1:${port}`);
    for (const user of ['ghost-1', 'ghost-2']) expect((await timedRead(gateway.url, user)).list.source).toBe('MODEL');

    const redis = await startRedis({ port });
    cleanups.add(() => redis.stop());
    // Once the client has reconnected (its backoff is capped at 2 s), a readiness PING goes out on the connection: it
    // is answered after anything the client sent before it, so a replayed operation would have run by then.
    await waitFor(
      'the gateway to reconnect to Redis',
      async () => (await readyz(gateway)).body.status === 'ready',
      10_000,
    );
    expect(await readyz(gateway)).toMatchObject({ status: 200, body: { status: 'ready' } });

    // No request has been made since Redis started: nothing may have been written in the meantime. Anything here
    // is a read, lease or write from a request that already gave up on Redis (and answered) seconds ago.
    const keys = classifyKeys(await keysOn(redis.port));
    expect(keys.entries).toEqual([]);
    expect(keys.leases).toEqual([]);
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(commandCalls(stats, 'mget')).toBe(0);
    expect(commandCalls(stats, 'set')).toBe(0);
  });

  describe('killed mid-run', () => {
    let redis: RedisProcess;
    let gateway: InProcessGateway;

    async function setUp(): Promise<void> {
      redis = await startRedis();
      cleanups.add(() => redis.stop());
      gateway = await gatewayOn(redis.url);
      const ready = await readyz(gateway);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ ready: true, status: 'ready', store: { kind: 'redis', up: true } });
      expect((await readRecs(gateway.url, 'mid-1', 10)).source).toBe('MODEL');
      expect((await readRecs(gateway.url, 'mid-1', 10)).source).toBe('CACHE');
    }

    it('reads still answer (MODEL) and quickly while Redis is down; /readyz is degraded', async () => {
      await setUp();
      await redis.kill();

      for (const user of ['mid-1', 'mid-2', 'mid-1']) {
        const { list, elapsedMs } = await timedRead(gateway.url, user);
        expect(list.source).toBe('MODEL');
        expect(list.items).toHaveLength(10);
        expect(elapsedMs).toBeLessThan(HANG_GUARD_MS);
      }

      const concurrent = await within(
        HANG_GUARD_MS * 3,
        Promise.all(Array.from({ length: 5 }, (_, index) => readRecs(gateway.url, `mid-burst-${index}`, 5))),
        'concurrent reads while Redis is down',
      );
      expect(concurrent.every((list) => list.source === 'MODEL' && list.items.length === 5)).toBe(true);

      const ready = await within(HANG_GUARD_MS, readyz(gateway), '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ ready: true, status: 'degraded', store: { up: false } });
    });

    it('after restart() the gateway recovers by itself: a read comes back as CACHE, and /readyz is ready', async () => {
      await setUp();
      await redis.kill();
      expect((await timedRead(gateway.url, 'mid-1')).list.source).toBe('MODEL');
      expect((await readyz(gateway)).body.status).toBe('degraded');

      await redis.restart();

      // Poll: the client reconnects with a capped backoff (at most 2 s between attempts).
      const recovered = await pollUntilCached(gateway.url, 'recover');
      expect(recovered, 'no read came back as CACHE within 10 s of the restart').toBe(true);

      const ready = await readyz(gateway);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ ready: true, status: 'ready', store: { kind: 'redis', up: true } });

      // The restarted Redis is empty (no persistence), so the user cached before the crash is computed again.
      expect((await readRecs(gateway.url, 'mid-1', 10)).source).toBe('MODEL');
      expect((await readRecs(gateway.url, 'mid-1', 10)).source).toBe('CACHE');
    });
  });
});

/**
 * Reads a new user twice, every 200 ms for up to 10 s, until the second read is a CACHE hit (the gateway has its
 * store back). Every read must answer without hanging meanwhile.
 */
async function pollUntilCached(url: string, prefix: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const user = `${prefix}-${attempt}`;
    const first = await timedRead(url, user);
    expect(first.elapsedMs).toBeLessThan(HANG_GUARD_MS);
    const second = await timedRead(url, user);
    expect(second.elapsedMs).toBeLessThan(HANG_GUARD_MS);
    if (second.list.source === 'CACHE') {
      expect(first.list.source).toBe('MODEL');
      expect(second.list.items).toEqual(first.list.items);
      return true;
    }
    await sleep(200); // the polling interval between attempts; the condition is the CACHE hit above
  }
  return false;
}
