/**
 * `npm run bench -- tracing`: what tracing costs a cache hit. CPU time per request of the real gateway (JWT auth,
 * memory store, warm users; Fastify's `inject()`, no sockets) in four set-ups, each in a process of its own (async
 * context, once switched on, stays on for the whole process), alternated A B C D A B C D:
 *
 *   off            no OTEL_* variables, built-in model: no SDK, no async context (the default)
 *   off + remote   tracing off, MODEL_URL set: the request id attributed to the users being loaded (no async context)
 *   on, 1 %        tracing on, `parentbased_traceidratio` 0.01: context and propagation on every request, 1 % exported
 *   on, all        tracing on, every request sampled and exported over OTLP/HTTP (JSON) to a sink in the parent
 *
 * Settings: TRACING_ROUNDS (3), TRACING_REQUESTS (4000 per run).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { readTracingSettings } from '../src/telemetry/tracing/settings.js';
import { startTracing } from '../src/telemetry/tracing/start-tracing.js';
import { createModelServer } from '../src/model/server/model-server.js';
import { BuiltinModel } from '../src/model/builtin-model.js';
import { createBenchAuth } from './auth.js';
import { gatewayEnvironment } from './gateway-env.js';
import { requestHeaders, singleBody } from './queries.js';
import { median } from './stats.js';

const USERS = 200;
const SELF = fileURLToPath(import.meta.url);

interface Variant {
  readonly name: string;
  readonly env: (sink: string, model: string) => Record<string, string>;
}

const VARIANTS: readonly Variant[] = [
  { name: 'off', env: () => ({}) },
  { name: 'off + remote model', env: (_sink, model) => ({ MODEL_URL: model, MODEL_VERSION_POLL_SECONDS: '0' }) },
  {
    name: 'on, 1 % sampled',
    env: (sink) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: sink,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    }),
  },
  {
    name: 'on, all sampled',
    env: (sink) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: sink, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
  },
];

/** Child: one gateway configured from its environment as main.ts does, warmed, then one measured run. */
async function child(): Promise<void> {
  const auth = { secret: process.env.BENCH_JWT_SECRET ?? '', authorization: process.env.BENCH_AUTHORIZATION ?? '' };
  const count = Number(process.env.TRACING_REQUESTS ?? 4000);
  const settings = readTracingSettings(process.env, 'recs-gateway-bench');
  const tracing = settings === undefined ? undefined : await startTracing(settings, { serviceVersion: 'bench' });
  const env = gatewayEnvironment({
    jwtSecret: auth.secret,
    extra: { MODEL_WORKERS: '0', ...pick(process.env, ['MODEL_URL', 'MODEL_VERSION_POLL_SECONDS']) },
  });
  const app = await createApp(loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1' }), { tracer: tracing?.tracer });
  await app.http.ready();
  const headers = { ...requestHeaders(auth.authorization) };
  const bodies = Array.from({ length: USERS }, (_, index) => singleBody(`trace-u${index}`));
  const run = async (requests: number): Promise<number> => {
    let next = 0;
    const started = process.cpuUsage();
    const worker = async (): Promise<void> => {
      while (next < requests) {
        const response = await app.http.inject({
          method: 'POST',
          url: '/graphql',
          headers,
          payload: bodies[next++ % bodies.length] as string,
        });
        if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode} ${response.body.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const used = process.cpuUsage(started);
    return (used.user + used.system) / requests;
  };
  await run(Math.max(count / 2, USERS)); // every user computed once, the JIT settled
  const us = await run(count);
  await app.close();
  await tracing?.shutdown();
  process.stdout.write(`${JSON.stringify({ us })}\n`);
  process.exit(0);
}

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
}

function runChild(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, ['--import', 'tsx', SELF], {
      env: { ...process.env, ...env, TRACING_BENCH_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    process_.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process_.once('exit', (code) => {
      const line = output.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`bench child exited with ${code}: ${output}`));
      else resolve((JSON.parse(line) as { us: number }).us);
    });
  });
}

export async function tracingBench(): Promise<void> {
  const rounds = Number(process.env.TRACING_ROUNDS ?? 3);
  const auth = createBenchAuth();
  // The OTLP sink and the model service live here, so the children's CPU is the gateway's alone.
  let spans = 0;
  const sink = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      spans += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const model = await createModelServer({
    model: new BuiltinModel({ version: 'v1' }),
    latencyMs: 0,
    logLevel: 'silent',
  });
  const modelUrl = await model.listen({ port: 0, host: '127.0.0.1' });
  const samples = new Map<string, number[]>(VARIANTS.map((variant) => [variant.name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of VARIANTS) {
        const us = await runChild({
          ...variant.env(sinkUrl, modelUrl),
          BENCH_JWT_SECRET: auth.secret,
          BENCH_AUTHORIZATION: auth.authorization,
        });
        samples.get(variant.name)?.push(us);
        process.stderr.write(`round ${round + 1}: ${variant.name} ${us.toFixed(1)} µs/request\n`);
      }
    }
  } finally {
    sink.close();
    await model.close();
  }
  const off = median(samples.get('off') ?? []);
  process.stdout.write(
    `\nHit path, CPU per request (median of ${rounds} runs; OTLP export posts received: ${spans})\n`,
  );
  for (const variant of VARIANTS) {
    const value = median(samples.get(variant.name) ?? []);
    process.stdout.write(
      `  ${variant.name.padEnd(20)} ${value.toFixed(1).padStart(7)} µs   ${((value / off - 1) * 100).toFixed(1).padStart(6)} % vs off\n`,
    );
  }
}

if (process.env.TRACING_BENCH_CHILD === '1') await child();
