/**
 * `npm run bench -- scaling`: does a hit cost the same at 10 thousand and at a million cached users, and does a
 * request for N users cost N times one? One gateway child on a redis-server of our own (never the one on 6379),
 * production settings, RECS_LIST_SIZE=20 (the lists loaded are 20 items, as the gateway would write them).
 *
 *   1. Population: the Redis is filled to 10k, 100k and 1M users (pipelined, see populate.ts); at each size a closed
 *      loop of SCALING_CONNECTIONS connections reads uniformly random users, one per request.
 *   2. Users per request, at the largest population: 1, 10, 50 and 100 distinct random users per request (aliased
 *      fields, one MGET, one batch).
 *
 * For each: req/s, users/s, p50/p99, and the gateway's own CPU time per user (from the child's process.cpuUsage):
 * the figure that shows whether cost per user stays flat; and the gateway's RSS and heap after each run and a full GC,
 * which show that a replica on the Redis store holds no more at a million cached users than at ten thousand. SCALING_MAX_USERS caps the population (default 1,000,000),
 * SCALING_SECONDS sets each run (default 6), SCALING_ROUNDS repeats each cell (default 2, medians).
 *
 * Writes bench/results/hit-path/scaling.json.
 */
import { fileURLToPath } from 'node:url';
import { redisCli, startRedis } from '../src/dev/redis-server.js';
import { createBenchAuth } from './auth.js';
import { gatewayEnvironment } from './gateway-env.js';
import { runLoad } from './load.js';
import type { LoadResult } from './load.js';
import { populate, userIdAt } from './populate.js';
import type { ServerStats } from './protocol.js';
import { requestHeaders } from './queries.js';
import type { BodySource } from './queries.js';
import { describeMachine, writeJson } from './report.js';
import { startServer, stopAll } from './servers.js';
import type { BenchServer } from './servers.js';
import { median } from './stats.js';
import { whole } from './options.js';
import { log } from './log.js';

const RESULTS_PATH = fileURLToPath(new URL('./results/hit-path/scaling.json', import.meta.url));
const FIELDS = 'userId modelVersion generatedAt ageSeconds source items { rank score item { id title category } }';
const PREBUILT_BODIES = 20_000;
const WARMUP_SECONDS = 2;

/** One query text per batch size (constant, as a real client's), users in variables. */
function batchQuery(size: number): string {
  const variables = Array.from({ length: size }, (_, index) => `$u${index}: ID!`).join(', ');
  const fields = Array.from(
    { length: size },
    (_, index) => `u${index}: recommendations(userId: $u${index}, first: 20) { ${FIELDS} }`,
  ).join(' ');
  return `query Scaling${size}(${variables}) { ${fields} }`;
}

/** Bodies of `size` distinct users drawn uniformly from the population, prebuilt so the load generator stays light. */
function randomBodies(population: number, size: number): BodySource {
  const query = batchQuery(size);
  const bodies: string[] = [];
  for (let body = 0; body < Math.max(1, Math.floor(PREBUILT_BODIES / size)); body++) {
    const chosen = new Set<number>();
    while (chosen.size < size) chosen.add(Math.floor(Math.random() * population));
    const variables: Record<string, string> = {};
    [...chosen].forEach((user, index) => (variables[`u${index}`] = userIdAt(user)));
    bodies.push(JSON.stringify({ query, variables }));
  }
  let next = 0;
  return () => bodies[next++ % bodies.length] as string;
}

interface Cell {
  readonly population: number;
  readonly usersPerRequest: number;
  readonly round: number;
  readonly load: LoadResult;
  /** Gateway CPU (user + system) per user served, microseconds. */
  readonly cpuUsPerUser: number;
  /** The gateway's resident set and heap after the run and a full GC: a replica must not grow with the population. */
  readonly rssMiB: number;
  readonly heapMiB: number;
}

async function measure(
  gateway: BenchServer,
  population: number,
  usersPerRequest: number,
  round: number,
  connections: number,
  seconds: number,
  headers: Readonly<Record<string, string>>,
): Promise<Cell> {
  let before: Promise<ServerStats> | undefined;
  let after: Promise<ServerStats> | undefined;
  const load = await runLoad({
    url: gateway.url,
    connections,
    warmupSeconds: WARMUP_SECONDS,
    seconds,
    body: randomBodies(population, usersPerRequest),
    headers,
    onWindowOpen: () => {
      before = gateway.stats();
    },
    onWindowClose: () => {
      after = gateway.stats();
    },
  });
  if (before === undefined || after === undefined) throw new Error('the measured window never closed');
  const [start, end] = await Promise.all([before, after]);
  const settled = await gateway.stats({ collect: true });
  const cpuUs = end.cpuUserUs - start.cpuUserUs + end.cpuSystemUs - start.cpuSystemUs;
  const cell = {
    population,
    usersPerRequest,
    round,
    load,
    cpuUsPerUser: cpuUs / Math.max(1, load.responses * usersPerRequest),
    rssMiB: settled.rssBytes / 2 ** 20,
    heapMiB: settled.heapUsedBytes / 2 ** 20,
  };
  log(
    `  ${population.toLocaleString('en-US').padStart(9)} users, ${String(usersPerRequest).padStart(3)}/request: ${Math.round(load.requestsPerSecond)} req/s, ` +
      `${Math.round(load.requestsPerSecond * usersPerRequest)} users/s, p99 ${load.p99Ms.toFixed(1)} ms, ${cell.cpuUsPerUser.toFixed(0)} µs CPU/user, ` +
      `RSS ${cell.rssMiB.toFixed(0)} MiB, heap ${cell.heapMiB.toFixed(0)} MiB` +
      (load.non2xx + load.errors > 0 ? `  WARN ${load.non2xx} non-2xx, ${load.errors} errors` : ''),
  );
  return cell;
}

export async function scalingBench(): Promise<void> {
  const maxUsers = whole('SCALING_MAX_USERS', 1_000_000);
  const seconds = whole('SCALING_SECONDS', 6);
  const rounds = whole('SCALING_ROUNDS', 2);
  const connections = whole('SCALING_CONNECTIONS', 20);
  const populations = [10_000, 100_000, 1_000_000].filter((size) => size <= maxUsers);
  if (populations.length === 0) populations.push(maxUsers);
  const auth = createBenchAuth();
  const headers = requestHeaders(auth.authorization);
  const redis = await startRedis();
  const servers: BenchServer[] = [];
  try {
    const env = gatewayEnvironment({ jwtSecret: auth.secret, redisUrl: redis.url, extra: { RECS_LIST_SIZE: '20' } });
    const gateway = await startServer({ name: 'scaling', entry: 'gateway-server', env, exposeGc: true });
    servers.push(gateway);
    const cells: Cell[] = [];
    let loaded = 0;
    for (const population of populations) {
      const { seconds: loadSeconds } = await populate({ port: redis.port, from: loaded, to: population, items: 20 });
      loaded = population;
      log(
        `population ${population.toLocaleString('en-US')}: loaded in ${loadSeconds.toFixed(1)} s (DBSIZE ${await redisCli(redis.port, 'DBSIZE')})`,
      );
      for (let round = 1; round <= rounds; round++)
        cells.push(await measure(gateway, population, 1, round, connections, seconds, headers));
    }
    const largest = populations[populations.length - 1] as number;
    for (let round = 1; round <= rounds; round++) {
      for (const size of [1, 10, 50, 100]) {
        if (
          size === 1 &&
          cells.some((cell) => cell.population === largest && cell.usersPerRequest === 1 && cell.round === round)
        )
          continue;
        cells.push(
          await measure(
            gateway,
            largest,
            size,
            round,
            Math.max(2, Math.round(connections / Math.sqrt(size))),
            seconds,
            headers,
          ),
        );
      }
    }
    const row = (population: number, size: number): string => {
      const mine = cells.filter((cell) => cell.population === population && cell.usersPerRequest === size);
      const pick = (get: (cell: Cell) => number): number => median(mine.map(get));
      return (
        `| ${population.toLocaleString('en-US')} | ${size} | ${Math.round(pick((cell) => cell.load.requestsPerSecond)).toLocaleString('en-US')} | ` +
        `${Math.round(pick((cell) => cell.load.requestsPerSecond * size)).toLocaleString('en-US')} | ${pick((cell) => cell.load.p50Ms).toFixed(1)} | ` +
        `${pick((cell) => cell.load.p99Ms).toFixed(1)} | ${pick((cell) => cell.cpuUsPerUser).toFixed(0)} | ` +
        `${pick((cell) => cell.rssMiB).toFixed(0)} | ${pick((cell) => cell.heapMiB).toFixed(0)} |`
      );
    };
    const header = [
      '| cached users | users/request | req/s | users/s | p50 ms | p99 ms | gateway CPU µs/user | gateway RSS MiB | gateway heap MiB (after GC) |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ];
    const machine = describeMachine();
    const lines = [
      `## Hit path scaling (Redis store, ${connections} connections for 1 user/request, fewer for larger batches; medians of ${rounds} rounds)`,
      '',
      'By cached population (1 random user per request):',
      '',
      ...header,
      ...populations.map((population) => row(population, 1)),
      '',
      `By users per request (${largest.toLocaleString('en-US')} cached users, distinct random users per request):`,
      '',
      ...header,
      ...[1, 10, 50, 100].map((size) => row(largest, size)),
      '',
      `Machine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average at start ${machine.loadAverage1m}; gateway, redis-server and load generator share the cores.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await writeJson(RESULTS_PATH, { machine, seconds, rounds, connections, cells });
    log(`wrote ${RESULTS_PATH}`);
  } finally {
    await stopAll(servers);
    await redis.stop();
  }
}
