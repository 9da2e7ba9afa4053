/**
 * The freshness figures of docs/benchmarks.md, measured on real gateways over HTTP:
 *   1. the share of reads answered without waiting for the model while 1,000 warm users' TTLs roll over,
 *      with a grace period (stale-while-revalidate) and without one;
 *   2. model computations for 500 concurrent requests on one cold user spread over 2 gateway processes.
 * Run: npx tsx bench/freshness.ts
 */
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startRedis } from '../src/dev/redis-server.js';
import { postGraphQL, startGatewayProcess } from '../src/dev/gateway-process.js';

const USERS = 1000;
const PER_REQUEST = 50;

async function readAll(url: string, users: string[]): Promise<Record<string, number>> {
  const sources: Record<string, number> = {};
  for (let start = 0; start < users.length; start += PER_REQUEST) {
    const batch = users.slice(start, start + PER_REQUEST);
    const query = `{ ${batch.map((user, index) => `u${index}: recommendations(userId: "${user}", first: 5) { source }`).join(' ')} }`;
    const { body } = await postGraphQL(url, query);
    for (const value of Object.values(body.data ?? {})) {
      const source = (value as { source: string }).source;
      sources[source] = (sources[source] ?? 0) + 1;
    }
  }
  return sources;
}

async function rollover(
  graceSeconds: number,
): Promise<{ graceSeconds: number; sources: Record<string, number>; withoutWaiting: string }> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    CACHE_TTL_SECONDS: '2',
    CACHE_GRACE_SECONDS: String(graceSeconds),
    RATE_LIMIT_COMPUTES_PER_MINUTE: '1000000',
  });
  const app = await createApp(config);
  const url = await app.listen();
  try {
    const users = Array.from({ length: USERS }, (_, index) => `roll-${index}`);
    await readAll(url, users);
    // TTL 2 s with ±10% jitter: after 2.5 s every list is past its fresh TTL.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const sources = await readAll(url, users);
    const answered = (sources.STALE ?? 0) + (sources.CACHE ?? 0);
    return { graceSeconds, sources, withoutWaiting: `${((100 * answered) / USERS).toFixed(1)}%` };
  } finally {
    await app.close();
  }
}

async function stampede(): Promise<number> {
  const redis = await startRedis();
  const gateways = await Promise.all(
    [0, 1].map(() => startGatewayProcess({ REDIS_URL: redis.url, LOG_LEVEL: 'warn' })),
  );
  try {
    const metric = async (origin: string) => {
      const text = await (await fetch(`${origin}/metrics`)).text();
      const line = text.split('\n').find((candidate) => candidate.startsWith('recs_model_users_total '));
      return Number(line?.split(' ')[1] ?? 0);
    };
    for (const gateway of gateways) await postGraphQL(gateway.url, '{ recommendations(userId: "warm") { source } }');
    const before = (await metric(gateways[0]!.origin)) + (await metric(gateways[1]!.origin));
    const query = '{ recommendations(userId: "stampede") { source } }';
    await Promise.all(Array.from({ length: 500 }, (_, index) => postGraphQL(gateways[index % 2]!.url, query)));
    const after = (await metric(gateways[0]!.origin)) + (await metric(gateways[1]!.origin));
    return after - before;
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await redis.stop();
  }
}

const withGrace = await rollover(3600);
const withoutGrace = await rollover(0);
const computations = await stampede();
console.log(
  '| TTL roll-over of 1,000 warm users | sources of the reads after expiry | answered without waiting for the model |',
);
console.log('|---|---|---|');
for (const row of [withGrace, withoutGrace]) {
  console.log(`| grace ${row.graceSeconds} s | ${JSON.stringify(row.sources)} | ${row.withoutWaiting} |`);
}
console.log(`\nmodel computations for 500 concurrent requests on one cold user over 2 processes: ${computations}`);
