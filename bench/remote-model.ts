/**
 * Figures for the remote model (`npx tsx bench/remote-model.ts`): a gateway process on Redis, using the reference
 * model server as a separate process with MODEL_LATENCY_MS=50.
 *
 *   1. hit and miss latency (p50/p99) of single-user reads through the remote model;
 *   2. model calls (counted by the model server) for a 50-user batch query: the target is 1;
 *   3. a model cutover (v1 → v2, model server restarted on the same port) with and without a warm-up: hit ratio and
 *      p50/p99 of reads after the cutover. Scaled down from "the minute after" to WINDOW_MS (20 s) and USERS (2,000)
 *      so the whole run takes a couple of minutes; the load is closed-loop, CONCURRENCY workers reading uniformly
 *      random users of the USERS that were active before the cutover (uniform is the worst case for a cold cache).
 *
 * Prints a table and writes bench/results/remote-model.json. On a busy machine compare the two cutover rows with
 * each other (same run), not with figures from another day.
 */
import { execFile } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../src/dev/free-port.js';
import { startGatewayProcess } from '../src/dev/gateway-process.js';
import type { GatewayProcess } from '../src/dev/gateway-process.js';
import { startModelServerProcess } from '../src/dev/model-server-process.js';
import type { ModelServerProcess } from '../src/dev/model-server-process.js';
import { startRedis } from '../src/dev/redis-server.js';
import type { RedisProcess } from '../src/dev/redis-server.js';
import { percentileOfSorted } from './stats.js';

const LATENCY_MS = 50;
const USERS = 2_000;
const WINDOW_MS = 20_000;
const CONCURRENCY = 8;
const MISS_READS = 300;
const HIT_READS = 2_000;
const BATCH_QUERIES = 5;
const RESULTS_PATH = fileURLToPath(new URL('./results/remote-model.json', import.meta.url));
const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

const READ = 'query ($u: ID!) { recommendations(userId: $u, first: 20) { modelVersion source } }';

interface Read {
  readonly ms: number;
  readonly source: string | undefined;
  readonly version: string | undefined;
  readonly error: boolean;
}

interface Setup {
  readonly redis: RedisProcess;
  readonly modelPort: number;
  model: ModelServerProcess;
  readonly gateway: GatewayProcess;
  stop(): Promise<void>;
}

async function setUp(): Promise<Setup> {
  const redis = await startRedis();
  const modelPort = await freePort();
  const model = await startModelServerProcess({ version: 'v1', latencyMs: LATENCY_MS, port: modelPort });
  const gateway = await startGatewayProcess({
    REDIS_URL: redis.url,
    MODEL_URL: model.url,
    MODEL_VERSION_POLL_SECONDS: '1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
  });
  const setup: Setup = {
    redis,
    modelPort,
    model,
    gateway,
    async stop() {
      await gateway.stop();
      await setup.model.stop();
      await redis.stop();
    },
  };
  return setup;
}

async function read(url: string, userId: string): Promise<Read> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: READ, variables: { u: userId } }),
    });
    const body = (await response.json()) as {
      data?: { recommendations?: { modelVersion: string; source: string } };
      errors?: unknown;
    };
    const list = body.data?.recommendations;
    return {
      ms: performance.now() - started,
      source: list?.source,
      version: list?.modelVersion,
      error: body.errors !== undefined || list === undefined,
    };
  } catch {
    return { ms: performance.now() - started, source: undefined, version: undefined, error: true };
  }
}

/** Reads `userIds` in order with `concurrency` workers; one request per user id. */
async function readAll(url: string, userIds: readonly string[], concurrency: number): Promise<Read[]> {
  const reads: Read[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < userIds.length) {
        const userId = userIds[next++] as string;
        reads.push(await read(url, userId));
      }
    }),
  );
  return reads;
}

/** Closed-loop load for `ms`: each worker reads a uniformly random user, then the next. */
async function loadFor(url: string, userIds: readonly string[], ms: number, concurrency: number): Promise<Read[]> {
  const reads: Read[] = [];
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end)
        reads.push(await read(url, userIds[Math.floor(Math.random() * userIds.length)] as string));
    }),
  );
  return reads;
}

async function batchRead(url: string, userIds: readonly string[]): Promise<number> {
  const fields = userIds
    .map((userId, index) => `u${index}: recommendations(userId: "${userId}", first: 5) { source }`)
    .join(' ');
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ ${fields} }` }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors !== undefined) throw new Error(`batch read failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return performance.now() - started;
}

function summary(reads: readonly Read[]) {
  const sorted = Float64Array.from(reads.map((r) => r.ms)).sort();
  const count = (predicate: (r: Read) => boolean) => reads.filter(predicate).length;
  return {
    reads: reads.length,
    p50: round(percentileOfSorted(sorted, 50)),
    p99: round(percentileOfSorted(sorted, 99)),
    hitRatio: round(count((r) => r.source === 'CACHE') / Math.max(1, reads.length), 3),
    misses: count((r) => r.source === 'MODEL'),
    errors: count((r) => r.error),
    servedV1: count((r) => r.version === 'v1'),
  };
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

async function latencyAndBatching() {
  const setup = await setUp();
  try {
    const url = setup.gateway.url;
    // Warm the JIT and the connections on users that are not measured.
    await readAll(url, ids('jit', 200), 4);
    await readAll(url, ids('jit', 200), 4);
    const missUsers = ids('miss', MISS_READS);
    const miss = summary(await readAll(url, missUsers, 4));
    const hitUsers = Array.from({ length: HIT_READS }, (_, index) => missUsers[index % missUsers.length] as string);
    const hit = summary(await readAll(url, hitUsers, 4));

    const batches: Array<{ calls: number; users: number; ms: number }> = [];
    for (let query = 0; query < BATCH_QUERIES; query += 1) {
      const before = await setup.model.stats();
      const ms = await batchRead(url, ids(`batch${query}`, 50));
      const after = await setup.model.stats();
      batches.push({
        calls: after.rankCalls - before.rankCalls,
        users: after.rankUsers - before.rankUsers,
        ms: round1(ms),
      });
    }
    return { miss, hit, batches };
  } finally {
    await setup.stop();
  }
}

function round1(value: number): number {
  return round(value, 1);
}

async function cutover(withWarmUp: boolean) {
  const setup = await setUp();
  try {
    const url = setup.gateway.url;
    const users = ids('active', USERS);
    // Before the cutover: every user read (cached under v1, and recorded as active).
    for (let start = 0; start < users.length; start += 50) await batchRead(url, users.slice(start, start + 50));
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    let warm: { ms: number; report: unknown } | undefined;
    if (withWarmUp) {
      // The new version runs beside the old one while the operator warms its namespace.
      const next = await startModelServerProcess({ version: 'v2', latencyMs: LATENCY_MS });
      try {
        const started = performance.now();
        const { stdout } = await run(
          'npm',
          ['run', '--silent', 'warm-up', '--', '--model-url', next.url, '--users', String(USERS), '--rate', '2000'],
          {
            cwd: PROJECT_DIR,
            env: { ...process.env, REDIS_URL: setup.redis.url, REDIS_CLUSTER_URLS: '', LOG_LEVEL: 'warn' },
          },
        );
        warm = { ms: round1(performance.now() - started), report: JSON.parse(stdout) as unknown };
      } finally {
        await next.stop();
      }
    }

    // The switch: the live model server is replaced by v2 on the same port; gateways learn it by polling.
    const restartStarted = performance.now();
    await setup.model.stop();
    setup.model = await startModelServerProcess({ version: 'v2', latencyMs: LATENCY_MS, port: setup.modelPort });
    const restartMs = round1(performance.now() - restartStarted);
    const before = await setup.model.stats();
    const reads = await loadFor(url, users, WINDOW_MS, CONCURRENCY);
    const after = await setup.model.stats();
    return { withWarmUp, warm, restartMs, modelCallsInWindow: after.rankCalls - before.rankCalls, ...summary(reads) };
  } finally {
    await setup.stop();
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `remote-model bench: MODEL_LATENCY_MS=${LATENCY_MS}, ${cpus().length} cores, node ${process.version}\n`,
  );
  const basics = await latencyAndBatching();
  process.stdout.write('latency and batching done; cutover without warm-up...\n');
  const cold = await cutover(false);
  process.stdout.write('cutover with warm-up...\n');
  const warmed = await cutover(true);

  const rows: Array<[string, string]> = [
    [
      'miss read (1 user, remote model) p50 / p99 ms',
      `${basics.miss.p50} / ${basics.miss.p99}  (${basics.miss.reads} reads, ${basics.miss.errors} errors)`,
    ],
    [
      'hit read (1 user) p50 / p99 ms',
      `${basics.hit.p50} / ${basics.hit.p99}  (${basics.hit.reads} reads, hit ratio ${basics.hit.hitRatio})`,
    ],
    [
      'model calls per 50-user batch query (target 1)',
      basics.batches.map((batch) => `${batch.calls} (${batch.users} users, ${batch.ms} ms)`).join(', '),
    ],
  ];
  for (const result of [cold, warmed]) {
    const label = result.withWarmUp ? 'cutover WITH warm-up' : 'cutover without warm-up';
    rows.push([
      `${label}: hit ratio, p50 / p99 ms (${WINDOW_MS / 1000} s, ${USERS} users)`,
      `${result.hitRatio}, ${result.p50} / ${result.p99}  (${result.reads} reads, ${result.misses} misses, ${result.errors} errors, ` +
        `${result.servedV1} served v1 before the switch, ${result.modelCallsInWindow} model calls)`,
    ]);
  }
  if (warmed.warm !== undefined)
    rows.push([
      'warm-up run (npm run warm-up, --rate 2000)',
      `${warmed.warm.ms} ms: ${JSON.stringify(warmed.warm.report)}`,
    ]);
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')}\n`);

  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(
    RESULTS_PATH,
    `${JSON.stringify({ at: new Date().toISOString(), latencyMs: LATENCY_MS, basics, cutover: [cold, warmed] }, null, 2)}\n`,
  );
}

await main();
process.exit(0);
