/**
 * Throwaway redis-server processes on free ports, for the test suite and the benchmarks.
 *
 * The Redis on 127.0.0.1:6379 belongs to someone else: nothing here ever talks to a port it
 * did not pick itself, and every process is stopped by its own pid.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import {
  hasExited,
  killNow,
  killOnExit,
  makeTempDir,
  recreateTempDir,
  removeTempDir,
  terminate,
} from './child-process.js';

export interface StartRedisOptions {
  /** Fixed port; by default a free one is picked (and re-picked if it is taken meanwhile). */
  port?: number;
  /** Extra redis-server arguments, appended after the harness defaults so they win. */
  args?: string[];
}

export interface RedisProcess {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Pid of the current redis-server; it changes after restart(). */
  readonly pid: number;
  /** SIGTERM, wait for exit (SIGKILL after 3 s) and delete the data directory. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit, to simulate a crash. The data directory is kept for restart(). */
  kill(): Promise<void>;
  /** Start a new redis-server on the same port and directory; stops the current one first if it still runs. */
  restart(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Number of master nodes, at least 3 (a redis-cli --cluster create requirement). Default 3. */
  masters?: number;
}

export interface RedisClusterNode {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
}

export interface RedisClusterProcess {
  readonly nodes: RedisClusterNode[];
  readonly urls: string[];
  /** Stop every node and delete their data directories. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5_000;
const READY_POLL_MS = 50;
const PING_TIMEOUT_MS = 500;
const PORT_ATTEMPTS = 5;
const CLUSTER_READY_TIMEOUT_MS = 15_000;
const CLUSTER_CREATE_TIMEOUT_MS = 30_000;
const CLI_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8_192;

const INSTALL_HINT =
  'Install Redis with `apt-get install -y redis-server` (Debian/Ubuntu; it brings redis-cli via redis-tools) ' +
  'or `brew install redis` (macOS), then make sure it is on PATH.';

const CLUSTER_ARGS = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  '2000',
];

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  const binary = requireBinary('redis-server');
  const extraArgs = options.args ?? [];
  const dir = await makeTempDir('redis');
  try {
    const { port, child } =
      options.port === undefined
        ? await launchOnFreePort(binary, dir, extraArgs)
        : { port: options.port, child: await launch(binary, options.port, dir, extraArgs) };
    return createHandle({ binary, port, dir, extraArgs }, child);
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisClusterProcess> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(`startRedisCluster: redis-cli --cluster create needs at least 3 masters, got ${masters}`);
  }
  requireBinary('redis-cli');

  const nodes = await startAll(masters, startClusterNode);
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const ports = nodes.map((node) => node.port);
    await createCluster(ports);
    await waitForClusterOk(ports);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: nodes.map(({ port, url, pid }) => ({ port, url, pid })),
    urls: nodes.map((node) => node.url),
    stop,
  };
}

/**
 * Runs `redis-cli -h 127.0.0.1 -p <port> ...args` and returns its trimmed stdout.
 * Error replies reject (redis-cli -e), so a typo in an assertion fails loudly instead of
 * comparing against "ERR unknown command".
 */
export async function redisCli(port: number, ...args: Array<string | number>): Promise<string> {
  const stdout = await runRedisCli(['-e', '-h', HOST, '-p', String(port), ...args.map(String)], CLI_TIMEOUT_MS);
  return stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// Binary lookup
// ---------------------------------------------------------------------------------------------

function requireBinary(command: 'redis-server' | 'redis-cli'): string {
  const found = findOnPath(command);
  if (found === undefined) {
    throw new Error(`${command} was not found on PATH. ${INSTALL_HINT}`);
  }
  return found;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Single server lifecycle
// ---------------------------------------------------------------------------------------------

interface ServerSpec {
  binary: string;
  port: number;
  dir: string;
  extraArgs: string[];
}

/** Startup failure that carries the server's output, so callers can tell why it died. */
class RedisStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- redis-server output (stdout+stderr) ---\n${output.trim() || '(none)'}`);
    this.name = 'RedisStartError';
  }
}

function createHandle(spec: ServerSpec, initial: ChildProcess): RedisProcess {
  let child = initial;
  return {
    port: spec.port,
    url: `redis://${HOST}:${spec.port}`,
    get pid(): number {
      return pidOf(child);
    },
    async stop(): Promise<void> {
      await terminate(child);
      await removeTempDir(spec.dir);
    },
    async kill(): Promise<void> {
      await killNow(child);
    },
    async restart(): Promise<void> {
      await terminate(child);
      // stop() may have deleted the directory; a restart after it still needs one.
      await recreateTempDir(spec.dir);
      child = await launch(spec.binary, spec.port, spec.dir, spec.extraArgs);
    },
  };
}

async function launchOnFreePort(
  binary: string,
  dir: string,
  extraArgs: string[],
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { port, child: await launch(binary, port, dir, extraArgs) };
    } catch (error) {
      // freePort() only says the port was free a moment ago; parallel test workers can race us.
      if (attempt >= PORT_ATTEMPTS || !isAddressInUse(error)) throw error;
    }
  }
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof RedisStartError && /address already in use/i.test(error.output);
}

async function launch(binary: string, port: number, dir: string, extraArgs: string[]): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    ...extraArgs,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child);
  await waitForSpawn(child, binary);
  killOnExit(child);
  try {
    await waitUntilReady(port, child, output);
  } catch (error) {
    await killNow(child);
    throw error;
  }
  return child;
}

function waitForSpawn(child: ChildProcess, binary: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) => reject(new Error(`could not run ${binary}: ${error.message}. ${INSTALL_HINT}`)));
  });
}

/** Keeps the tail of stdout+stderr: redis logs to stdout, but config errors go to stderr. */
function collectOutput(child: ChildProcess): () => string {
  let tail = '';
  const append = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => tail;
}

async function waitUntilReady(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(child)) {
      throw new RedisStartError(
        `redis-server on port ${port} exited (${describeExit(child)}) before answering PING`,
        output(),
      );
    }
    if (await answersPing(port)) return;
    await sleep(READY_POLL_MS);
  }
  throw new RedisStartError(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`, output());
}

async function answersPing(port: number): Promise<boolean> {
  try {
    return (await sendCommand(port, ['PING'], PING_TIMEOUT_MS)) === '+PONG';
  } catch {
    return false;
  }
}

function describeExit(child: ChildProcess): string {
  return child.signalCode !== null ? `signal ${child.signalCode}` : `exit code ${String(child.exitCode)}`;
}

function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('redis-server has no pid (it never spawned)');
  return child.pid;
}

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

async function startClusterNode(): Promise<RedisProcess> {
  // The default bus port is port+10000, which overflows 65535 for most of Linux's ephemeral
  // range (32768-60999), so every node gets its own free bus port instead.
  const busPort = await freePort();
  return startRedis({ args: [...CLUSTER_ARGS, '--cluster-port', String(busPort)] });
}

/** Starts `count` servers in parallel; if any fails, stops the ones that did start. */
async function startAll(count: number, start: () => Promise<RedisProcess>): Promise<RedisProcess[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => start()));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(started.map((node) => node.stop()));
    throw failure.reason;
  }
  return started;
}

async function createCluster(ports: number[]): Promise<void> {
  await runRedisCli(
    ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
    CLUSTER_CREATE_TIMEOUT_MS,
  );
}

async function waitForClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
  let lastInfo = new Map<number, string>();
  while (Date.now() < deadline) {
    lastInfo = new Map(await Promise.all(ports.map(async (port) => [port, await clusterInfo(port)] as const)));
    if ([...lastInfo.values()].every((info) => info.includes('cluster_state:ok'))) return;
    await sleep(100);
  }
  const report = [...lastInfo].map(([port, info]) => `${port}: ${stateLine(info)}`).join(', ');
  throw new Error(`cluster did not reach cluster_state:ok within ${CLUSTER_READY_TIMEOUT_MS} ms (${report})`);
}

async function clusterInfo(port: number): Promise<string> {
  try {
    return await sendCommand(port, ['CLUSTER', 'INFO'], PING_TIMEOUT_MS);
  } catch (error) {
    return `unreachable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function stateLine(info: string): string {
  return /cluster_state:\w+/.exec(info)?.[0] ?? info.slice(0, 80);
}

// ---------------------------------------------------------------------------------------------
// Talking to Redis
// ---------------------------------------------------------------------------------------------

function runRedisCli(args: string[], timeoutMs: number): Promise<string> {
  const binary = requireBinary('redis-cli');
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}${stderr}`.trim();
          reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${output}`, { cause: error }));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/**
 * Sends one command over a raw socket. Only enough RESP for readiness probes: status, error
 * and integer replies come back as their raw line ("+PONG", "-LOADING ..."), bulk strings as
 * their content; array replies are not supported.
 */
function sendCommand(port: number, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const settle = (error: Error | undefined, reply?: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(reply ?? '');
    };
    socket.setTimeout(timeoutMs, () => settle(new Error(`no reply from port ${port} within ${timeoutMs} ms`)));
    socket.once('error', (error) => settle(error));
    socket.once('close', () => settle(new Error(`port ${port} closed the connection before replying`)));
    socket.once('connect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const reply = parseReply(buffer);
      if (reply !== undefined) settle(undefined, reply);
    });
  });
}

function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** The reply once `buffer` holds all of it, otherwise undefined. */
function parseReply(buffer: Buffer): string | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd === -1) return undefined;
  const header = buffer.toString('utf8', 0, lineEnd);
  if (!header.startsWith('$')) return header;
  const length = Number(header.slice(1));
  if (length < 0) return header;
  const start = lineEnd + 2;
  if (buffer.length < start + length + 2) return undefined;
  return buffer.toString('utf8', start, start + length);
}

/** Calls of one command in an `INFO commandstats` reply; 0 when the command was never called since RESETSTAT. */
export function commandCalls(info: string, command: string): number {
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}
