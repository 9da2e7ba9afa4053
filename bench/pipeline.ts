/**
 * `npm run bench -- pipeline`: CPU time per request of the GraphQL pipeline itself, without sockets, in one
 * process: Fastify's `inject()` drives the bare Apollo baseline (`baseline-apollo.ts`), the same behind Apollo's
 * response cache, mercurius + graphql-jit on the same resolvers (`baseline-mercurius.ts`), and the gateway (memory store, JWT auth, warm users) through the same single-user query,
 * alternating A B A B, and reads `process.cpuUsage()` around each run.
 *
 * Why next to `run.ts`: on a 2-core machine shared with other work, autocannon's req/s swings by 2-5x between runs
 * (the load generator, the server and everyone else compete for the cores). CPU time per request is what the
 * optimisations change, and in-process it is steady enough to compare variants (executors, encodings) within a run.
 * It leaves out the kernel's share (socket reads and writes), which is the same for both servers, so the ratio here
 * is an upper bound of the end-to-end one.
 */
import type { FastifyInstance } from 'fastify';
import { createApp } from '../src/app.js';
import type { App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createBaselineServer } from './baseline-apollo.js';
import { createMercuriusServer } from './baseline-mercurius.js';
import { createBenchAuth } from './auth.js';
import { gatewayEnvironment } from './gateway-env.js';
import { requestHeaders, singleBody } from './queries.js';
import { median } from './stats.js';

const USERS = 200;

interface Target {
  readonly name: string;
  readonly http: FastifyInstance;
  close(): Promise<void>;
}

async function baseline(name: string, responseCache: boolean): Promise<Target> {
  const server = await createBaselineServer({ responseCache });
  return { name, http: server.http, close: () => server.close() };
}

async function gateway(name: string, jwtSecret: string, extra: Record<string, string>): Promise<Target & { app: App }> {
  const env = gatewayEnvironment({ jwtSecret, extra: { MODEL_WORKERS: '0', ...extra } });
  const app = await createApp(loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1' }));
  await app.http.ready();
  return { name, http: app.http, app, close: () => app.close() };
}

/** `count` requests, `concurrency` in flight; resolves with server CPU microseconds per request. */
async function cpuPerRequest(
  target: Target,
  bodies: readonly string[],
  headers: Record<string, string>,
  count: number,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const started = process.cpuUsage();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const body = bodies[next++ % bodies.length] as string;
      const response = await target.http.inject({ method: 'POST', url: '/graphql', headers, payload: body });
      if (response.statusCode !== 200)
        throw new Error(`${target.name}: HTTP ${response.statusCode} ${response.body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
}

export async function pipelineBench(): Promise<void> {
  const rounds = Number(process.env.PIPELINE_ROUNDS ?? 5);
  const count = Number(process.env.PIPELINE_REQUESTS ?? 4000);
  const auth = createBenchAuth();
  const headers = { ...requestHeaders(auth.authorization) };
  const users = Array.from({ length: USERS }, (_, index) => `pipe-u${index}`);
  const bodies = users.map(singleBody);
  // PIPELINE_TARGETS=baseline,response-cache,mercurius,jit,reference (all by default): fewer, e.g. to profile one.
  const wanted = (process.env.PIPELINE_TARGETS ?? 'baseline,response-cache,mercurius,jit,reference').split(',');
  const targets: Target[] = [];
  if (wanted.includes('baseline')) targets.push(await baseline('baseline', false));
  if (wanted.includes('response-cache')) targets.push(await baseline('apollo response cache', true));
  if (wanted.includes('mercurius')) {
    const server = await createMercuriusServer();
    targets.push({ name: 'mercurius + jit', http: server.http, close: () => server.close() });
  }
  if (wanted.includes('jit')) targets.push(await gateway('gateway (jit)', auth.secret, {}));
  if (wanted.includes('reference'))
    targets.push(await gateway('gateway (reference)', auth.secret, { GRAPHQL_EXECUTOR: 'reference' }));
  try {
    // Warm: every user computed once per gateway, and every target's JIT settled.
    for (const target of targets) await cpuPerRequest(target, bodies, headers, Math.max(count / 4, USERS), 1);
    const samples = new Map<string, number[]>(targets.map((target) => [target.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const us = await cpuPerRequest(target, bodies, headers, count, 16);
        samples.get(target.name)?.push(us);
        process.stderr.write(`  round ${round + 1} ${target.name.padEnd(20)} ${us.toFixed(1)} µs CPU/request\n`);
      }
    }
    const base = samples.get('baseline') ?? [];
    const lines = [
      '| server | CPU µs/request (median) | baseline ÷ this, per round (median; rounds in brackets) |',
      '|---|---:|---:|',
    ];
    for (const [name, values] of samples) {
      // Paired by round, as run.ts pairs its runs: drift between rounds cancels.
      const ratios = values.map((value, round) => (base[round] ?? Number.NaN) / value);
      lines.push(
        `| ${name} | ${median(values).toFixed(1)} | ${median(ratios).toFixed(2)} (${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}) |`,
      );
    }
    process.stdout.write(
      `\n## Pipeline CPU per request (in-process, fastify.inject, ${count} requests x ${rounds} rounds, 16 in flight)\n\n${lines.join('\n')}\n`,
    );
  } finally {
    for (const target of targets) await target.close();
  }
}
