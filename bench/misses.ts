/**
 * `npm run bench -- misses`: do misses stall hits? Two gateway children that differ only in MODEL_WORKERS: 0 (the
 * built-in model scores on the event loop) and one worker per core (the scoring pool). For each, in alternating
 * rounds: a fixed-rate stream of cache hits alone (idle), then the same hit stream beside a closed-loop stream of
 * cold users (every request a miss the model must compute). The figure is hit p99 under misses ÷ hit p99 idle; the
 * target is at most 2.
 *
 *   MISSES_ROUNDS (2), MISSES_SECONDS (6), MISSES_HIT_RATE (150 req/s), MISSES_CONNECTIONS (2 cold-user
 *   connections), MISSES_BATCH (20 cold users per request: one model call of 20 users, tens of milliseconds of CPU,
 *   as a page of new users or a cutover produces; single cold users are each ~1 ms, lost in the noise of a shared
 *   machine)
 *
 * Writes bench/results/hit-path/misses.json.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createBenchAuth } from './auth.js';
import { gatewayEnvironment } from './gateway-env.js';
import { runLoad } from './load.js';
import type { LoadResult } from './load.js';
import { cyclingUsers, requestHeaders } from './queries.js';
import type { BodySource } from './queries.js';
import { describeMachine, writeJson } from './report.js';
import { startServer, stopAll } from './servers.js';
import type { BenchServer } from './servers.js';
import { median } from './stats.js';
import { warmThroughGraphQL } from './warm.js';
import { whole } from './options.js';
import { log } from './log.js';

const RESULTS_PATH = fileURLToPath(new URL('./results/hit-path/misses.json', import.meta.url));
const HIT_CONNECTIONS = 10;
const WARMUP_SECONDS = 1;

interface Run {
  readonly round: number;
  readonly variant: string;
  readonly idle: LoadResult;
  readonly hitsUnderMisses: LoadResult;
  readonly misses: LoadResult;
}

/** `size` users never seen before per request (aliased fields, one model call), unique across the run. */
function coldBatches(size: number): BodySource {
  const fields = Array.from(
    { length: size },
    (_, index) =>
      `c${index}: recommendations(userId: $c${index}, first: 20) { userId source items { rank score item { id } } }`,
  );
  const query = `query Cold(${Array.from({ length: size }, (_, index) => `$c${index}: ID!`).join(', ')}) { ${fields.join(' ')} }`;
  const prefix = `cold-${process.pid}-${Date.now().toString(36)}`;
  let next = 0;
  return () => {
    const variables: Record<string, string> = {};
    for (let index = 0; index < size; index++) variables[`c${index}`] = `${prefix}-${next++}`;
    return JSON.stringify({ query, variables });
  };
}

export async function missesBench(): Promise<void> {
  const rounds = whole('MISSES_ROUNDS', 2);
  const seconds = whole('MISSES_SECONDS', 6);
  const hitRate = whole('MISSES_HIT_RATE', 150);
  const missConnections = whole('MISSES_CONNECTIONS', 2);
  const missBatch = whole('MISSES_BATCH', 20);
  const workers = Math.max(1, availableParallelism());
  const auth = createBenchAuth();
  const headers = requestHeaders(auth.authorization);
  const users = Array.from({ length: 500 }, (_, index) => `misses-u${index}`);
  const variants = [
    { name: 'in-process (MODEL_WORKERS=0)', workers: 0 },
    { name: `worker pool (MODEL_WORKERS=${workers})`, workers },
  ];
  const servers: BenchServer[] = [];
  try {
    const gateways = await Promise.all(
      variants.map(async (variant, index) => {
        const env = gatewayEnvironment({ jwtSecret: auth.secret, extra: { MODEL_WORKERS: String(variant.workers) } });
        const server = await startServer({ name: `misses-${index}`, entry: 'gateway-server', env });
        servers.push(server);
        return { ...variant, server };
      }),
    );
    for (const gateway of gateways) {
      log(`${gateway.name}: warming ${users.length} users`);
      await warmThroughGraphQL(gateway.server.url, users, headers);
    }
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const gateway of gateways) {
        const hits = {
          url: gateway.server.url,
          connections: HIT_CONNECTIONS,
          rate: hitRate,
          warmupSeconds: WARMUP_SECONDS,
          seconds,
          body: cyclingUsers(users),
          headers,
        };
        const idle = await runLoad(hits);
        const [hitsUnderMisses, misses] = await Promise.all([
          runLoad(hits),
          runLoad({
            url: gateway.server.url,
            connections: missConnections,
            warmupSeconds: WARMUP_SECONDS,
            seconds,
            body: coldBatches(missBatch),
            headers,
          }),
        ]);
        runs.push({ round, variant: gateway.name, idle, hitsUnderMisses, misses });
        log(
          `  round ${round} ${gateway.name.padEnd(30)} hit p99 idle ${idle.p99Ms.toFixed(1)} ms, under misses ${hitsUnderMisses.p99Ms.toFixed(1)} ms ` +
            `(x${(hitsUnderMisses.p99Ms / idle.p99Ms).toFixed(2)}); ${Math.round(misses.requestsPerSecond * missBatch)} cold users/s`,
        );
      }
    }
    const lines = [
      `## Misses vs hits: hit latency at ${hitRate} req/s, idle and beside ${missConnections} connections of cold users, ${missBatch} per request (medians of ${rounds} rounds)`,
      '',
      '| scoring | hit p50 idle ms | hit p99 idle ms | hit p50 under misses ms | hit p99 under misses ms | p99 ratio (target ≤ 2) | cold users scored/s |',
      '|---|---:|---:|---:|---:|---:|---:|',
    ];
    for (const variant of variants) {
      const mine = runs.filter((run) => run.variant === variant.name);
      const pick = (get: (run: Run) => number): number => median(mine.map(get));
      const ratio = median(mine.map((run) => run.hitsUnderMisses.p99Ms / run.idle.p99Ms));
      lines.push(
        `| ${variant.name} | ${pick((run) => run.idle.p50Ms).toFixed(1)} | ${pick((run) => run.idle.p99Ms).toFixed(1)} | ` +
          `${pick((run) => run.hitsUnderMisses.p50Ms).toFixed(1)} | ${pick((run) => run.hitsUnderMisses.p99Ms).toFixed(1)} | ` +
          `${ratio.toFixed(2)} | ${Math.round(pick((run) => run.misses.requestsPerSecond) * missBatch)} |`,
      );
    }
    const machine = describeMachine();
    lines.push(
      '',
      `Machine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average at start ${machine.loadAverage1m}.`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    await writeJson(RESULTS_PATH, { machine, rounds, seconds, hitRate, missConnections, missBatch, runs });
    log(`wrote ${RESULTS_PATH}`);
  } finally {
    await stopAll(servers);
  }
}
