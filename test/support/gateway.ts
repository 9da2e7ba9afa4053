import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../src/app.js';
import type { App, AppParts } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { freePort } from './free-port.js';

/**
 * Test gateways answer the same list for the same user whenever asked, and only requests reach the model, also when a
 * test runs them with NODE_ENV=production: the built-in model does not drift with the wall clock and the freshness
 * inspector makes no shadow calls. A test about either turns it on in its own `env`.
 */
const DETERMINISTIC = { MODEL_DRIFT: 'false', FRESHNESS_INSPECTOR_PER_SECOND: '0' } as const;

export interface InProcessGateway {
  readonly app: App;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:43121/graphql */
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Starts a real gateway (real HTTP server on a free port) inside the test process. `env` is read as the
 * environment would be, so tests exercise the same config validation as production.
 */
export async function startGateway(env: Record<string, string> = {}, parts: AppParts = {}): Promise<InProcessGateway> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'test', ...DETERMINISTIC, ...env });
  const app = await createApp(config, parts);
  const url = await app.listen();
  return { app, url, origin: new URL(url).origin, close: () => app.close() };
}

export interface GatewayProcess {
  readonly url: string;
  readonly origin: string;
  readonly child: ChildProcess;
  /** Everything the process wrote, for assertions on logs. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts the gateway as its own process (`node --import tsx src/main.ts`), as replicas run in production. */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'test', ...DETERMINISTIC, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    live.delete(child);
    resolve(code);
  }));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} before it was ready:\n${output}`);
    try {
      const response = await fetch(`${origin}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not become ready in 45 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `${origin}/graphql`,
    origin,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The gateway's `recs_graphql_fast_path_total`, by outcome (served, handed_over, passed); absent ones are 0. */
export async function fastPathOutcomes(gateway: InProcessGateway): Promise<Record<'served' | 'handed_over' | 'passed', number>> {
  const metric = await gateway.app.telemetry.registry.getSingleMetric('recs_graphql_fast_path_total')?.get();
  const counts = { served: 0, handed_over: 0, passed: 0 };
  for (const value of metric?.values ?? []) {
    const outcome = value.labels.outcome;
    if (outcome === 'served' || outcome === 'handed_over' || outcome === 'passed') counts[outcome] = value.value;
  }
  return counts;
}

/** POSTs one GraphQL operation and returns the parsed JSON body with the HTTP status and headers. */
export async function postGraphQL(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: GraphQLBody }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLBody };
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}
