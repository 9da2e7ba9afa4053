/**
 * Servers under test, each in its own child process (`node --import tsx bench/<entry>.ts`) so it gets a core of
 * its own instead of sharing the load generator's event loop. Children are tracked from spawn to exit and killed
 * by pid: stopAll() on the normal path, a synchronous SIGKILL from the 'exit' hook on every other path.
 */
import { GATEWAY_NODE_FLAGS } from '../src/dev/node-flags.js';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isChildMessage } from './protocol.js';
import type { ServerStats } from './protocol.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const PROJECT_DIR = fileURLToPath(new URL('..', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const STATS_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL = 8_000;

export type ServerEntry = 'gateway-server' | 'baseline-server' | 'mercurius-server';

export interface ServerSpec {
  /** A short label for logs and the report, e.g. `gateway-memory`. */
  readonly name: string;
  readonly entry: ServerEntry;
  readonly env: Readonly<Record<string, string>>;
  /** Write V8 CPU profiles into `<dir>/<name>/` when the child exits. */
  readonly cpuProfileDir?: string | undefined;
  /** Start with --expose-gc, so `stats({ collect: true })` can read the heap after a full GC. */
  readonly exposeGc?: boolean;
}

export interface BenchServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  stats(options?: { readonly collect: boolean }): Promise<ServerStats>;
  /** The last few KB the child wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const live = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort, synchronous: whatever is still alive when the bench process exits dies with it.
  process.on('exit', () => {
    for (const pid of live.keys()) signal(pid, 'SIGKILL');
  });
}

// Only what a process needs to run: no gateway setting (REDIS_URL, NODE_OPTIONS, ...) leaks in from the caller.
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'TZ'];

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export async function startServer(spec: ServerSpec): Promise<BenchServer> {
  installExitHook();
  const args = ['--import', 'tsx'];
  if (spec.cpuProfileDir !== undefined) {
    // One directory per server: Node writes one profile per thread (the module-loader thread too), named by pid/tid.
    const dir = join(spec.cpuProfileDir, spec.name);
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  if (spec.exposeGc === true) args.push('--expose-gc');
  // The gateway runs as `npm start` runs it; the reference servers with Node's defaults.
  if (spec.entry === 'gateway-server') args.push(...GATEWAY_NODE_FLAGS);
  args.push(`${BENCH_DIR}${spec.entry}.ts`);

  const child = spawn(process.execPath, args, {
    cwd: PROJECT_DIR,
    env: { ...inheritedEnv(), ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) {
    await new Promise<void>((resolve) => child.once('error', () => resolve()));
    throw new Error(`${spec.name}: could not spawn ${process.execPath}`);
  }
  const pid = child.pid;
  live.set(pid, child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(pid);
      resolve();
    }),
  );

  let tail = '';
  const append = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  let nextId = 1;
  const waiting = new Map<number, (stats: ServerStats) => void>();
  let readyUrl: ((url: string) => void) | undefined;
  child.on('message', (message: unknown) => {
    if (!isChildMessage(message)) return;
    if (message.type === 'ready') readyUrl?.(message.url);
    else waiting.get(message.id)?.(message.stats);
  });

  const stop = async (): Promise<void> => {
    if (!live.has(pid)) return;
    signal(pid, 'SIGTERM');
    const escalate = setTimeout(() => {
      if (live.has(pid)) signal(pid, 'SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(escalate);
  };

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${spec.name} was not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      readyUrl = (value) => {
        clearTimeout(timer);
        resolve(value);
      };
      void exited.then(() => {
        clearTimeout(timer);
        reject(
          new Error(
            `${spec.name} exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)}) before it was ready`,
          ),
        );
      });
    });
  } catch (error) {
    await stop();
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- output ---\n${tail.trim() || '(none)'}`,
    );
  }

  return {
    name: spec.name,
    url,
    pid,
    output: () => tail,
    stop,
    stats(options) {
      const id = nextId++;
      return new Promise<ServerStats>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${spec.name} did not answer a stats request within ${STATS_TIMEOUT_MS} ms`));
        }, STATS_TIMEOUT_MS);
        waiting.set(id, (stats) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(stats);
        });
        child.send({ type: 'stats', id, collect: options?.collect === true });
      });
    },
  };
}

/** Stops every child still alive (SIGTERM, then SIGKILL after a grace period), by pid. */
export async function stopAll(servers: readonly BenchServer[]): Promise<void> {
  await Promise.allSettled(servers.map((server) => server.stop()));
  for (const pid of live.keys()) signal(pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
