/**
 * One time bound for a sick store, on real redis-server processes. Frozen (SIGSTOP): no read fails, and no read
 * waits on Redis for more than REDIS_TIMEOUT_MS in all (read, lease and write share one budget); the store's breaker
 * opens, after which reads do not touch Redis at all (counted with `INFO commandstats` behind `CLIENT PAUSE`), and it
 * shows in /readyz and /metrics. An outage is not charged to clients' compute budgets, while a cap keeps the model
 * protected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { commandCalls, redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { aliasedReads } from '../security/helpers.js';
import { Cleanups, CountingModel, READ_QUERY, describeBody, readRecs, sleep } from './helpers.js';
import type { RecList } from './helpers.js';
import { waitFor } from '../support/wait.js';

const REDIS_TIMEOUT_MS = 300;
// What a read may take beyond the store's bound: the built-in model's compute and HTTP, on a shared 2-core machine.
const MODEL_AND_HTTP_MS = 250;

interface ReadyBody {
  status: string;
  store: { up: boolean; breaker?: string };
}

async function readyz(gateway: InProcessGateway): Promise<ReadyBody> {
  return (await (await fetch(`${gateway.origin}/readyz`)).json()) as ReadyBody;
}

async function breakerGauge(gateway: InProcessGateway): Promise<number> {
  return sumOf(await scrape(gateway.origin), 'recs_store_breaker_state');
}

/** Reads `count` users at `perSecond`, concurrently; resolves with each read's latency, failing on any error. */
async function readsAtRate(
  url: string,
  users: readonly string[],
  perSecond: number,
  durationMs: number,
): Promise<number[]> {
  const reads: Array<Promise<number>> = [];
  const started = performance.now();
  for (let sent = 0; performance.now() - started < durationMs; sent += 1) {
    const userId = users[sent % users.length] as string;
    reads.push(
      (async () => {
        const begun = performance.now();
        const { status, body } = await postGraphQL(url, READ_QUERY, { userId, first: 5 });
        expect(body.errors, describeBody(body)).toBeUndefined();
        expect(status).toBe(200);
        expect((body.data?.recommendations as RecList).items).toHaveLength(5);
        return performance.now() - begun;
      })(),
    );
    // Pacing: the scenario is a steady rate of reads.
    await sleep(1000 / perSecond);
  }
  return Promise.all(reads);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

describe('the store breaker and the per-request store budget', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  async function setUp(
    env: Record<string, string> = {},
  ): Promise<{ redis: RedisProcess; gateway: InProcessGateway; model: CountingModel }> {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const model = CountingModel.builtin('v1');
    const gateway = await startGateway(
      { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS), STORE_BREAKER_COOLDOWN_MS: '500', ...env },
      { model },
    );
    cleanups.add(() => gateway.close());
    return { redis, gateway, model };
  }

  it('Redis frozen (SIGSTOP): no read fails, none waits longer than REDIS_TIMEOUT_MS plus model time, the breaker opens', async () => {
    const { redis, gateway } = await setUp();
    const users = Array.from({ length: 20 }, (_, index) => `frozen-${index}`);
    for (const userId of users) await readRecs(gateway.url, userId, 5);
    expect((await readyz(gateway)).store).toMatchObject({ up: true, breaker: 'closed' });

    process.kill(redis.pid, 'SIGSTOP');
    cleanups.add(async () => {
      process.kill(redis.pid, 'SIGCONT');
    });
    // Stale (expired) and cold users alike: every read needs the store for its read, lease and write.
    const latencies = await readsAtRate(gateway.url, [...users, ...users.map((userId) => `${userId}-cold`)], 40, 2_500);
    expect(latencies.length).toBeGreaterThan(60);
    expect(Math.max(...latencies), `p99 ${percentile(latencies, 99)} ms`).toBeLessThan(
      REDIS_TIMEOUT_MS + MODEL_AND_HTTP_MS,
    );
    // Once open, most reads do not wait on Redis at all.
    expect(percentile(latencies, 50)).toBeLessThan(REDIS_TIMEOUT_MS / 2);

    const ready = await readyz(gateway);
    expect(ready.status).toBe('degraded');
    expect(ready.store.up).toBe(false);
    expect(['open', 'half-open']).toContain(ready.store.breaker);
    expect(await breakerGauge(gateway)).toBeGreaterThanOrEqual(1);

    process.kill(redis.pid, 'SIGCONT');
    // Back: within a cool-down and a probe, reads are cached again.
    let source = '';
    await waitFor(
      'reads to be cached again',
      async () => {
        source = (await readRecs(gateway.url, 'frozen-0', 5)).source;
        return source === 'CACHE';
      },
      3_000,
      () => `last source ${source}`,
    );
    expect(source).toBe('CACHE');
    expect((await readyz(gateway)).store).toMatchObject({ up: true, breaker: 'closed' });
    expect(await breakerGauge(gateway)).toBe(0);
  });

  it('with the breaker open, reads do not touch the store (commands counted behind CLIENT PAUSE)', async () => {
    const { redis, gateway } = await setUp({ STORE_BREAKER_COOLDOWN_MS: '60000' });
    await readRecs(gateway.url, 'paused-0', 5);
    await redisCli(redis.port, 'CONFIG', 'RESETSTAT');
    // Long enough that the pause outlasts every read below even on a busy machine.
    const pausedUntil = performance.now() + 5_000;
    await redisCli(redis.port, 'CLIENT', 'PAUSE', '5000', 'ALL');
    // Three reads in a row time out and open the breaker; the next thirty answer without sending anything.
    for (let index = 0; index < 3; index += 1) await readRecs(gateway.url, `opening-${index}`, 5);
    expect((await readyz(gateway)).store.breaker).toBe('open');
    const started = performance.now();
    for (let index = 0; index < 30; index += 1)
      expect((await readRecs(gateway.url, `open-${index}`, 5)).source).toBe('MODEL');
    expect((performance.now() - started) / 30).toBeLessThan(REDIS_TIMEOUT_MS / 3);

    expect(performance.now()).toBeLessThan(pausedUntil);
    // A PING is answered only once the pause is over, after every command held behind it.
    await redisCli(redis.port, 'PING');
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    // The three reads that opened the breaker sent at most one read each: an MGET, or with the near cache (the
    // default) one GET per key, the list and the user's state (and, when the client failed one of them before writing
    // it, that read's lease SET); the thirty after them sent nothing: had they, reads would be ≥ 30.
    const reads = commandCalls(stats, 'mget') + commandCalls(stats, 'get') / 2;
    expect(reads, stats).toBeGreaterThanOrEqual(1);
    expect(reads, stats).toBeLessThanOrEqual(3);
    expect(
      commandCalls(stats, 'set') + commandCalls(stats, 'evalsha') + commandCalls(stats, 'eval'),
      stats,
    ).toBeLessThanOrEqual(3);
  });

  it('a store outage is not charged to the client: 40 users in one request are served with a budget of 5', async () => {
    const { redis, gateway } = await setUp({ RATE_LIMIT_COMPUTES_PER_MINUTE: '5' });
    // Control: with the store up, 40 cold users are over the budget of 5.
    const control = await postGraphQL(
      gateway.url,
      aliasedReads(Array.from({ length: 40 }, (_, index) => `up-${index}`)),
    );
    expect(control.body.errors?.some((error) => error.extensions?.code === 'RATE_LIMITED')).toBe(true);

    await redis.kill();
    for (let round = 0; round < 3; round += 1) {
      const { body } = await postGraphQL(
        gateway.url,
        aliasedReads(Array.from({ length: 40 }, (_, index) => `down-${round}-${index}`)),
      );
      expect(body.errors, describeBody(body)).toBeUndefined();
      expect(Object.values(body.data ?? {})).toHaveLength(40);
    }
  });

  it('the model stays protected: uncharged computes are capped per process (MODEL_UNAVAILABLE past the cap)', async () => {
    const { redis, gateway, model } = await setUp({ UNCHARGED_COMPUTE_LIMIT: '10' });
    await redis.kill();
    const { body } = await postGraphQL(
      gateway.url,
      aliasedReads(Array.from({ length: 25 }, (_, index) => `capped-${index}`)),
    );
    // Ten computed, fifteen refused (each field is non-null, so a refusal nulls the whole answer).
    expect(model.scoreCalls.flat()).toHaveLength(10);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(new Set(body.errors?.map((error) => error.extensions?.code))).toEqual(new Set(['MODEL_UNAVAILABLE']));
  });
});
