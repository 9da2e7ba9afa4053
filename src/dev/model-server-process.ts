/**
 * The reference model server (`src/model-server.ts`) as its own process, restartable on the same port as a real model
 * rollout would do, for the test suite and the benchmarks alike.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STATS_PATH } from '../model/server/model-server.js';
import type { ModelServerStats } from '../model/server/model-server.js';
import { freePort } from './free-port.js';

export interface ModelServerProcess {
  readonly url: string;
  readonly port: number;
  stats(): Promise<ModelServerStats>;
  output(): string;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('../model-server.ts', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `src/model-server.ts` as a child process and waits until it answers. */
export async function startModelServerProcess(options: {
  version: string;
  latencyMs?: number;
  port?: number;
  env?: Record<string, string>;
}): Promise<ModelServerProcess> {
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
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`model server exited before it was ready:\n${output}`);
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
