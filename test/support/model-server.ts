/**
 * The reference model server for tests: in-process (with a counting model and a chaos hook, the way bentocache's
 * ChaosCache wraps a real driver) or as its own process (`node --import tsx src/model-server.ts`, restartable on the
 * same port, as a real model rollout would do).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyRequest } from 'fastify';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import { createModelServer, STATS_PATH } from '../../src/model/server/model-server.js';
import type { ModelServerStats } from '../../src/model/server/model-server.js';
import { CountingModel } from './models.js';
import { freePort } from './free-port.js';

/** What a chaos hook may answer instead of the real server; undefined lets the request through. */
export interface FaultReply {
  readonly status: number;
  /** Sent as is (so it may be malformed JSON). */
  readonly body: string;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

export type Fault = (request: FastifyRequest) => Promise<FaultReply | undefined> | FaultReply | undefined;

export interface InProcessModelServer {
  readonly url: string;
  readonly port: number;
  /** Counts scoreAndRank calls on the server side: one per rank request that reached the model. */
  readonly model: CountingModel;
  /** Requests that reached the server under /v1/ (faulted or not), by path. */
  readonly requests: Map<string, number>;
  /** Sets (or clears, with undefined) the chaos hook. */
  fault(fault: Fault | undefined): void;
  close(): Promise<void>;
}

export async function startModelServer(
  options: { version?: string; latencyMs?: number; port?: number } = {},
): Promise<InProcessModelServer> {
  const model = new CountingModel(new BuiltinModel({ version: options.version ?? 'v1' }));
  const server = await createModelServer({ model, latencyMs: options.latencyMs ?? 0, logLevel: 'silent' });
  const requests = new Map<string, number>();
  let current: Fault | undefined;
  server.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/v1/') || path === STATS_PATH) return;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const answer = current === undefined ? undefined : await current(request);
    if (answer === undefined) return;
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    return reply.code(answer.status).type('application/json').send(answer.body);
  });
  const address = await server.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  return {
    url: address,
    port: Number(new URL(address).port),
    model,
    requests,
    fault(fault) {
      current = fault;
    },
    close: () => server.close(),
  };
}

export interface ModelServerProcess {
  readonly url: string;
  readonly port: number;
  stats(): Promise<ModelServerStats>;
  output(): string;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('../../src/model-server.ts', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `src/model-server.ts` as a child process and waits until it answers. */
export async function startModelServerProcess(
  options: { version: string; latencyMs?: number; port?: number; env?: Record<string, string> },
): Promise<ModelServerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MODEL_VERSION: options.version,
      MODEL_LATENCY_MS: String(options.latencyMs ?? 0),
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`model server exited before it was ready:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`model server did not become ready in 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    async stats() {
      return (await (await fetch(`${url}${STATS_PATH}`)).json()) as ModelServerStats;
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(escalate);
      }
    },
  };
}
