/**
 * `npm run bench -- profile`: where a cache hit's CPU goes. Starts one gateway child under `--cpu-prof` (production
 * settings, JWT auth on, memory store unless PROFILE_STORE=redis), warms PROFILE_USERS users, puts it under
 * autocannon load (50 connections, the bench's single-user query) for PROFILE_SECONDS, stops it, and summarises the
 * profile's measured window by self and total time. PROFILE_EXECUTOR=reference profiles graphql-js instead of the
 * compiled executor; PROFILE_TARGET=baseline profiles the bare Apollo server of `run.ts` under the same load, and
 * PROFILE_TARGET=response-cache that server behind Apollo's response cache.
 *
 * Writes bench/results/hit-path/profile-<executor>-<store>.md (profile-baseline.md, profile-response-cache.md).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../src/dev/redis-server.js';
import type { RedisProcess } from '../src/dev/redis-server.js';
import { createBenchAuth } from './auth.js';
import { mainThreadProfile, profileTables, summariseProfile } from './cpu-profile.js';
import { gatewayEnvironment } from './gateway-env.js';
import { runLoad } from './load.js';
import type { ServerStats } from './protocol.js';
import { serverDelta } from './report.js';
import { cyclingUsers, requestHeaders } from './queries.js';
import { startServer, stopAll } from './servers.js';
import type { BenchServer } from './servers.js';
import { warmThroughGraphQL } from './warm.js';
import { choice, whole } from './options.js';
import { log } from './log.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/hit-path/', import.meta.url));
const WARMUP_SECONDS = 2;

export async function profileHitPath(): Promise<void> {
  const target = choice('PROFILE_TARGET', 'gateway', ['gateway', 'baseline', 'response-cache'] as const);
  const bare = target !== 'gateway';
  const executor = choice('PROFILE_EXECUTOR', 'jit', ['jit', 'reference'] as const);
  const storeKind = choice('PROFILE_STORE', 'memory', ['memory', 'redis'] as const);
  const seconds = whole('PROFILE_SECONDS', 10);
  const userCount = whole('PROFILE_USERS', 500);
  const name = bare ? `profile-${target}` : `profile-${executor}-${storeKind}`;
  const dir = join(RESULTS_DIR, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(RESULTS_DIR, { recursive: true });

  const auth = createBenchAuth();
  let redis: RedisProcess | undefined;
  const servers: BenchServer[] = [];
  try {
    if (storeKind === 'redis' && target === 'gateway') redis = await startRedis();
    const env = bare
      ? { NODE_ENV: 'production', BASELINE_RESPONSE_CACHE: target === 'response-cache' ? '1' : '0' }
      : gatewayEnvironment({ jwtSecret: auth.secret, redisUrl: redis?.url, extra: { GRAPHQL_EXECUTOR: executor } });
    // cpuProfileDir gets a subdirectory per server name.
    const gateway = await startServer({
      name,
      entry: bare ? 'baseline-server' : 'gateway-server',
      env,
      cpuProfileDir: RESULTS_DIR,
    });
    servers.push(gateway);
    const headers = requestHeaders(auth.authorization);
    const users = Array.from({ length: userCount }, (_, index) => `profile-u${index}`);
    log(`${name}: warming ${users.length} users`);
    if (target === 'gateway') await warmThroughGraphQL(gateway.url, users, headers);
    log(`${name}: ${WARMUP_SECONDS} s warm-up + ${seconds} s measured under load`);
    let before: Promise<ServerStats> | undefined;
    let after: Promise<ServerStats> | undefined;
    const load = await runLoad({
      url: gateway.url,
      connections: 50,
      warmupSeconds: WARMUP_SECONDS,
      seconds,
      body: cyclingUsers(users),
      headers,
      onWindowOpen: () => {
        before = gateway.stats();
      },
      onWindowClose: () => {
        after = gateway.stats();
      },
    });
    const counters =
      before === undefined || after === undefined
        ? undefined
        : serverDelta(await before, await after, load.responses).telemetry;
    await gateway.stop();
    const profile = await mainThreadProfile(dir);
    const summary = await summariseProfile(profile, seconds, 35);
    const report = [
      bare
        ? `## CPU profile of the bare Apollo baseline${target === 'response-cache' ? " behind Apollo's response cache" : ''}`
        : `## CPU profile of the hit path: ${executor} executor, ${storeKind} store`,
      '',
      `${Math.round(load.requestsPerSecond)} req/s, p99 ${load.p99Ms.toFixed(1)} ms during the profiled window (profiling slows the server).` +
        (counters === undefined
          ? ''
          : ` Cache reads in the window: ${counters.cacheHit} hits, ${counters.cacheStale} stale, ${counters.cacheMiss} misses; ${counters.modelUsers} users scored.`),
      '',
      profileTables(summary),
      '',
    ].join('\n');
    await writeFile(join(RESULTS_DIR, `${name}.md`), report);
    process.stdout.write(report);
    log(`wrote ${join(RESULTS_DIR, `${name}.md`)} (profile: ${profile})`);
  } finally {
    await stopAll(servers);
    await redis?.stop();
  }
}
