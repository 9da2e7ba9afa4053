/**
 * `npm run bench`: the gateway against a bare Apollo Server on the same HTTP stack, on one machine.
 *
 * Every server runs in its own child process; autocannon runs here. On a small machine the load generator competes
 * with the server for cores, so absolute numbers say little: each gateway run is paired with a baseline run just
 * before it (A B A B ...), and the ratio of the pair is what to read.
 *
 * Scenarios: hit-memory, hit-redis (own redis-server, never :6379), apollo-response-cache (not the gateway: the
 * baseline behind Apollo's whole-response cache plugin, every response a cache hit after the warm-up: the bar for a
 * gateway hit), mercurius-jit (not the gateway: mercurius + graphql-jit serving the baseline's schema and lists, no
 * cache: the fast-server reference), miss (a new user per request), batch-50 (50 aliased fields of warm users in one
 * query). Prints a markdown report and writes bench/results/latest.json.
 *
 * Settings (environment, all optional; see options.ts): BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (2),
 * BENCH_CONNECTIONS (50), BENCH_BATCH_CONNECTIONS (10), BENCH_USERS (2000), BENCH_MODEL_USERS (1000),
 * BENCH_SCENARIOS (comma list), BENCH_NODE_ENV (production), BENCH_GATEWAY_ENV (NAME=value,...), BENCH_CPU_PROF=1
 * (V8 profiles into bench/results/profiles/; summarise with `npx tsx bench/profile-summary.ts`).
 */
import { fileURLToPath } from 'node:url';
import { startRedis } from '../src/dev/redis-server.js';
import type { RedisProcess } from '../src/dev/redis-server.js';
import { createBenchAuth } from './auth.js';
import { expectSource, postAndCheck, warmUsers } from './graphql-client.js';
import type { Source } from './graphql-client.js';
import { runLoad } from './load.js';
import type { LoadResult } from './load.js';
import { measureModel } from './model-bench.js';
import type { ModelTiming } from './model-bench.js';
import { readOptions } from './options.js';
import type { BenchOptions } from './options.js';
import { BATCH_SIZE, batchBody, batchesOfUsers, coldUsers, cyclingUsers, requestHeaders } from './queries.js';
import type { BodySource } from './queries.js';
import { HIT_PATH_TARGET, describeMachine, renderReport, serverDelta, summarise, writeJson } from './report.js';
import type { ServerStats } from './protocol.js';
import type { RunRecord, ScenarioName, SummaryRow } from './report.js';
import { startServer, stopAll } from './servers.js';
import type { BenchServer, ServerSpec } from './servers.js';
import { log } from './log.js';

const RESULTS_PATH = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const PROFILE_DIR = fileURLToPath(new URL('./results/profiles/', import.meta.url));
/** The gateway's default RECS_LIST_SIZE: what a miss asks the model for. */
const LIST_SIZE = 100;
const WARM_CONCURRENCY = 4;
const ALL_SCENARIOS: readonly ScenarioName[] = [
  'hit-memory',
  'hit-redis',
  'apollo-response-cache',
  'mercurius-jit',
  'miss',
  'batch-50',
];

interface Scenario {
  readonly name: ScenarioName;
  /**
   * The server compared with the baseline: a gateway, or a reference server (apollo-response-cache: Apollo's own
   * response cache; mercurius-jit: mercurius + graphql-jit).
   */
  readonly gateway: BenchServer;
  /** False for a server without the gateway's telemetry: its sources cannot be checked from its metrics. */
  readonly isGateway: boolean;
  readonly usersPerRequest: number;
  readonly connections: number;
  /** The source every list must have, checked before measuring and through the server's telemetry after. */
  readonly source: Source;
  readonly headers: Readonly<Record<string, string>>;
  /** A fresh body source for each run; baseline and gateway get identical ones. */
  bodies(): BodySource;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: children and the redis-server die on success, on error and on Ctrl-C.
// ---------------------------------------------------------------------------------------------

const servers: BenchServer[] = [];
let redis: RedisProcess | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll(servers);
    await redis?.stop();
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping servers`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------

/**
 * The gateway's settings (children get no other environment: see servers.ts; anything unset is the default).
 * Production settings, with JWT auth on; the compute rate limit is lifted so the miss path measures the model,
 * not the limiter (the limiter's check still runs on every request).
 */
function gatewayEnv(options: BenchOptions, redisUrl: string | undefined, jwtSecret: string): Record<string, string> {
  return {
    AUTH_JWT_SECRET: jwtSecret,
    AUTH_JWKS_URL: '',
    AUTH_JWT_ISSUER: '',
    AUTH_JWT_AUDIENCE: '',
    RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
    NODE_ENV: options.nodeEnv,
    LOG_LEVEL: 'silent',
    REDIS_URL: redisUrl ?? '',
    REDIS_CLUSTER_URLS: '',
    CACHE_KEY_PREFIX: '',
    MODEL_VERSION: 'v1',
    // Far longer than a bench run: no warm list expires or refreshes early while it is measured.
    CACHE_TTL_SECONDS: '3600',
    RECS_LIST_SIZE: String(LIST_SIZE),
    ...options.gatewayEnv,
  };
}

async function start(spec: ServerSpec): Promise<BenchServer> {
  const server = await startServer(spec);
  servers.push(server);
  log(`  ${spec.name}: pid ${server.pid}, ${server.url}`);
  return server;
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

async function measure(
  options: BenchOptions,
  round: number,
  scenario: Scenario,
  role: 'baseline' | 'gateway',
  server: BenchServer,
): Promise<RunRecord> {
  let before: Promise<ServerStats> | undefined;
  let after: Promise<ServerStats> | undefined;
  const load = await runLoad({
    url: server.url,
    connections: scenario.connections,
    warmupSeconds: options.warmupSeconds,
    seconds: options.seconds,
    body: scenario.bodies(),
    headers: scenario.headers,
    onWindowOpen: () => {
      before = settledLater(server.stats());
    },
    onWindowClose: () => {
      after = settledLater(server.stats());
    },
  });
  if (before === undefined || after === undefined) throw new Error(`${server.name}: the measured window never closed`);
  const delta = serverDelta(await before, await after, load.responses);
  const warnings = checkRun(scenario, role, load, delta.telemetry);
  const record: RunRecord = {
    round,
    scenario: scenario.name,
    role,
    server: server.name,
    usersPerRequest: scenario.usersPerRequest,
    load,
    serverDelta: delta,
    warnings,
  };
  log(
    `  round ${round} ${scenario.name.padEnd(10)} ${role.padEnd(8)} ${Math.round(load.requestsPerSecond).toString().padStart(6)} req/s` +
      `  p50 ${load.p50Ms.toFixed(2)} ms  p99 ${load.p99Ms.toFixed(2)} ms  server CPU ${delta.cpuUtilisation.toFixed(2)}` +
      (warnings.length > 0 ? `  WARN: ${warnings.join('; ')}` : ''),
  );
  return record;
}

/** A promise awaited only later: keep a rejection in the meantime from counting as unhandled. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** What the run must look like for its figures to mean what the scenario says. */
function checkRun(
  scenario: Scenario,
  role: 'baseline' | 'gateway',
  load: LoadResult,
  telemetry: RunRecord['serverDelta']['telemetry'],
): string[] {
  const warnings: string[] = [];
  if (load.non2xx > 0) warnings.push(`${load.non2xx} non-2xx responses`);
  if (load.errors > 0) warnings.push(`${load.errors} connection errors (${load.timeouts} timeouts)`);
  if (role === 'baseline' || !scenario.isGateway) return warnings;
  if (telemetry === undefined) return [...warnings, 'gateway metrics unreadable: cache hits not verified'];
  // Requests in flight when the window opens or closes are counted by one side only: allow one per connection.
  const lists = Math.max(0, load.responses - scenario.connections) * scenario.usersPerRequest;
  if (telemetry.storeErrors > 0) warnings.push(`${telemetry.storeErrors} store errors`);
  if (telemetry.servedStale > 0) warnings.push(`${telemetry.servedStale} lists served STALE`);
  if (scenario.source === 'CACHE') {
    if (telemetry.cacheMiss > 0 || telemetry.servedModel > 0)
      warnings.push(`${telemetry.cacheMiss} cache misses on the hit path`);
    if (telemetry.servedCache < lists)
      warnings.push(`only ${telemetry.servedCache} of ~${lists} lists served from the cache`);
  } else {
    if (telemetry.cacheHit > 0 || telemetry.servedCache > 0)
      warnings.push(`${telemetry.cacheHit} cache hits on the miss path`);
    if (telemetry.servedModel < lists)
      warnings.push(`only ${telemetry.servedModel} of ~${lists} lists computed by the model`);
  }
  return warnings;
}

/** Before measuring: both servers answer the scenario's request with whole lists, the gateway from the right source. */
async function preflight(
  scenario: Scenario,
  baseline: BenchServer,
): Promise<{ baselineBytes: number; gatewayBytes: number }> {
  const body = scenario.bodies()();
  const base = await postAndCheck(baseline.url, body, scenario.headers);
  const gateway = await postAndCheck(scenario.gateway.url, body, scenario.headers);
  expectSource(gateway, scenario.source, `${scenario.name} preflight`);
  if (gateway.lists.length !== scenario.usersPerRequest || base.lists.length !== scenario.usersPerRequest) {
    throw new Error(`${scenario.name} preflight: expected ${scenario.usersPerRequest} lists per response`);
  }
  return { baselineBytes: base.bytes, gatewayBytes: gateway.bytes };
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions(process.env);
  const selected =
    options.scenarios.length === 0 ? ALL_SCENARIOS : ALL_SCENARIOS.filter((name) => options.scenarios.includes(name));
  const unknown = options.scenarios.filter((name) => !ALL_SCENARIOS.some((known) => known === name));
  if (unknown.length > 0)
    throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${ALL_SCENARIOS.join(', ')})`);
  const machine = describeMachine();
  const startedAt = new Date();
  log(
    `recs-gateway bench: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m}`,
  );
  log(
    `  ${options.rounds} rounds x (${options.warmupSeconds} s warm-up + ${options.seconds} s measured), ${options.connections} connections ` +
      `(batch-50: ${options.batchConnections}), ` +
      `${options.users} warm users, NODE_ENV=${options.nodeEnv}, scenarios: ${selected.join(', ')}` +
      (Object.keys(options.gatewayEnv).length > 0 ? `, gateway env: ${JSON.stringify(options.gatewayEnv)}` : ''),
  );

  const auth = createBenchAuth();
  const headers = requestHeaders(auth.authorization);

  // The model alone first, while nothing else runs.
  log(`model: scoreAndRank in-process, ${options.modelUsers} users, top ${LIST_SIZE}`);
  const model: ModelTiming = await measureModel(options.modelUsers, LIST_SIZE);
  log(
    `  ${model.msPerUserSingle.toFixed(3)} ms/user one per call, ${model.msPerUserBatched.toFixed(3)} ms/user in one call`,
  );

  log('starting servers');
  const profileDir = options.cpuProfile ? PROFILE_DIR : undefined;
  const needs = (name: ScenarioName): boolean => selected.includes(name);
  if (needs('hit-redis')) {
    redis = await startRedis();
    log(`  redis-server: pid ${redis.pid}, ${redis.url}`);
  }
  const [baseline, responseCache, mercuriusJit, memory, redisGateway, missGateway] = await Promise.all([
    start({
      name: 'baseline',
      entry: 'baseline-server',
      env: { NODE_ENV: options.nodeEnv },
      cpuProfileDir: profileDir,
    }),
    needs('apollo-response-cache')
      ? start({
          name: 'apollo-response-cache',
          entry: 'baseline-server',
          env: { NODE_ENV: options.nodeEnv, BASELINE_RESPONSE_CACHE: '1' },
          cpuProfileDir: profileDir,
        })
      : undefined,
    needs('mercurius-jit')
      ? start({
          name: 'mercurius-jit',
          entry: 'mercurius-server',
          env: { NODE_ENV: options.nodeEnv },
          cpuProfileDir: profileDir,
        })
      : undefined,
    needs('hit-memory') || needs('batch-50')
      ? start({
          name: 'gateway-memory',
          entry: 'gateway-server',
          env: gatewayEnv(options, undefined, auth.secret),
          cpuProfileDir: profileDir,
        })
      : undefined,
    redis !== undefined
      ? start({
          name: 'gateway-redis',
          entry: 'gateway-server',
          env: gatewayEnv(options, redis.url, auth.secret),
          cpuProfileDir: profileDir,
        })
      : undefined,
    // Its own process, so the cold users it stores cannot crowd the warm ones out of the hit scenario's LRU.
    needs('miss')
      ? start({
          name: 'gateway-miss',
          entry: 'gateway-server',
          env: gatewayEnv(options, undefined, auth.secret),
          cpuProfileDir: profileDir,
        })
      : undefined,
  ]);

  const users = Array.from({ length: options.users }, (_, index) => `bench-u${index}`);
  const warm: Record<string, { computed: number; seconds: number }> = {};
  const toWarm = [memory, redisGateway].filter((gateway): gateway is BenchServer => gateway !== undefined);
  log(
    `warming ${users.length} users on ${toWarm.map((gateway) => gateway.name).join(' and ')} (${BATCH_SIZE} per query)`,
  );
  // In parallel: separate processes, a core each.
  await Promise.all(
    toWarm.map(async (gateway) => {
      const result = await warmUsers(gateway.url, users, batchBody, BATCH_SIZE, headers, WARM_CONCURRENCY);
      warm[gateway.name] = result;
      log(`  ${gateway.name}: ${result.computed} lists computed in ${result.seconds.toFixed(1)} s`);
      if (result.computed !== users.length)
        throw new Error(`${gateway.name}: warming computed ${result.computed} lists, expected ${users.length}`);
    }),
  );

  const scenarios: Scenario[] = [];
  // One warm user per request, cycling through the warm users: every request a hit (or, for the reference servers
  // without a cache, one execution).
  const singleUserHits = (name: ScenarioName, gateway: BenchServer, isGateway: boolean): Scenario => ({
    name,
    gateway,
    isGateway,
    usersPerRequest: 1,
    connections: options.connections,
    headers,
    source: 'CACHE',
    bodies: () => cyclingUsers(users),
  });
  if (memory !== undefined && needs('hit-memory')) scenarios.push(singleUserHits('hit-memory', memory, true));
  if (redisGateway !== undefined) scenarios.push(singleUserHits('hit-redis', redisGateway, true));
  // Every list is cached by the JIT warm-up pass below (and the preflight): the measured window is all hits.
  if (responseCache !== undefined) scenarios.push(singleUserHits('apollo-response-cache', responseCache, false));
  // No cache: every request executes the compiled query against the same constant resolver as the baseline.
  if (mercuriusJit !== undefined) scenarios.push(singleUserHits('mercurius-jit', mercuriusJit, false));
  if (missGateway !== undefined) {
    scenarios.push({
      name: 'miss',
      gateway: missGateway,
      isGateway: true,
      usersPerRequest: 1,
      connections: options.connections,
      headers,
      source: 'MODEL',
      bodies: () => coldUsers(),
    });
  }
  if (memory !== undefined && needs('batch-50')) {
    scenarios.push({
      name: 'batch-50',
      gateway: memory,
      isGateway: true,
      usersPerRequest: BATCH_SIZE,
      connections: options.batchConnections,
      headers,
      source: 'CACHE',
      bodies: () => batchesOfUsers(users),
    });
  }

  const responseBytes: Record<string, { baselineBytes: number; gatewayBytes: number }> = {};
  for (const scenario of scenarios) responseBytes[scenario.name] = await preflight(scenario, baseline);

  // One short unmeasured pass over every server and query first, so round 1 does not pay for JIT compilation.
  if (options.warmupSeconds > 0) {
    const jitSeconds = Math.max(1, Math.ceil(options.warmupSeconds / 2));
    log(`JIT warm-up: ${jitSeconds} s per server and scenario, unmeasured`);
    for (const scenario of scenarios) {
      for (const server of [baseline, scenario.gateway]) {
        await runLoad({
          url: server.url,
          connections: scenario.connections,
          warmupSeconds: 0,
          seconds: jitSeconds,
          body: scenario.bodies(),
          headers: scenario.headers,
        });
      }
    }
  }

  log('measuring (each gateway run right after its baseline run)');
  const runs: RunRecord[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of scenarios) {
      runs.push(await measure(options, round, scenario, 'baseline', baseline));
      runs.push(await measure(options, round, scenario, 'gateway', scenario.gateway));
    }
  }

  const rows: SummaryRow[] = summarise(
    runs,
    scenarios.map((scenario) => scenario.name),
  );
  const finishedAt = new Date();
  process.stdout.write(renderReport({ rows, runs, model, machine, options, responseBytes }));
  await writeJson(RESULTS_PATH, {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine,
    options,
    target: { scenarios: ['hit-memory', 'hit-redis'], minRatio: HIT_PATH_TARGET },
    summary: rows,
    model,
    warm,
    responseBytes,
    runs,
  });
  log(`\nwrote ${RESULTS_PATH} (${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
