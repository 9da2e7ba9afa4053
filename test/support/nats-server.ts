/**
 * Test harness that runs throwaway `nats-server -js` processes on free ports (the companion of redis-server.ts).
 *
 * The NATS on 127.0.0.1:4222 belongs to someone else: nothing here ever talks to a port it did not pick itself, and
 * every process is stopped by its own pid. Each server stores JetStream data in its own temporary directory, which
 * `restart()` keeps, so streams, consumers and unacknowledged messages survive a restart as they would in production.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { sleep } from './wait.js';
import { freePort } from './free-port.js';
import { killNow, killOnExit, makeTempDir, removeTempDir, terminate } from '../../src/dev/child-process.js';

export interface NatsProcess {
  /** Client port. */
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** Pid of the current nats-server; it changes after restart(). */
  readonly pid: number;
  /** SIGTERM, wait for exit (SIGKILL after 3 s) and delete the JetStream directory. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit, to simulate a crash. The JetStream directory is kept for restart(). */
  kill(): Promise<void>;
  /** Start a new nats-server on the same ports and directory; stops the current one first if it still runs. */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 50;
const PORT_ATTEMPTS = 5;
const OUTPUT_TAIL_CHARS = 8_192;
const INSTALL_HINT =
  'Install NATS with `apt-get install -y nats-server` (Debian/Ubuntu), then make sure it is on PATH.';

export interface StartNatsOptions {
  /** Fixed client port (e.g. one a client was pointed at before the server existed); by default a free one. */
  port?: number;
}

export async function startNats(options: StartNatsOptions = {}): Promise<NatsProcess> {
  const binary = findBinary();
  const dir = await makeTempDir('nats');
  try {
    for (let attempt = 1; ; attempt++) {
      const spec = { binary, dir, port: options.port ?? (await freePort()), monitorPort: await freePort() };
      try {
        return createHandle(spec, await launch(spec));
      } catch (error) {
        // freePort() only says the port was free a moment ago; parallel test workers can race us.
        if (
          attempt >= PORT_ATTEMPTS ||
          options.port !== undefined ||
          !(error instanceof NatsStartError) ||
          !/address already in use/i.test(error.output)
        ) {
          throw error;
        }
      }
    }
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
}

// Private: binary lookup.

function findBinary(): string {
  // Debian installs it under /usr/sbin, which is not on every user's PATH.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`nats-server was not found on PATH or in /usr/sbin. ${INSTALL_HINT}`);
}

// Private: one server's lifecycle.

interface ServerSpec {
  readonly binary: string;
  readonly dir: string;
  readonly port: number;
  readonly monitorPort: number;
}

class NatsStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- nats-server output ---\n${output.trim() || '(none)'}`);
    this.name = 'NatsStartError';
  }
}

function createHandle(spec: ServerSpec, initial: ChildProcess): NatsProcess {
  let child = initial;
  return {
    port: spec.port,
    url: `nats://${HOST}:${spec.port}`,
    get pid(): number {
      if (child.pid === undefined) throw new Error('nats-server has no pid (it never spawned)');
      return child.pid;
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
      child = await launch(spec);
    },
  };
}

async function launch(spec: ServerSpec): Promise<ChildProcess> {
  const args = ['-js', '-a', HOST, '-p', String(spec.port), '-m', String(spec.monitorPort), '-sd', spec.dir];
  const child = spawn(spec.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const append = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) =>
      reject(new Error(`could not run ${spec.binary}: ${error.message}. ${INSTALL_HINT}`)),
    );
  });
  killOnExit(child);
  try {
    await waitUntilHealthy(spec, child, () => tail);
  } catch (error) {
    await killNow(child);
    throw error;
  }
  return child;
}

/**
 * `/healthz` on the monitoring port answers 200 only once JetStream is enabled and has recovered its streams from
 * disk, which the client port alone does not tell: it accepts connections before a restarted stream is back.
 */
async function waitUntilHealthy(spec: ServerSpec, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new NatsStartError(`nats-server on port ${spec.port} exited before it was healthy`, output());
    }
    try {
      const response = await fetch(`http://${HOST}:${spec.monitorPort}/healthz`, { signal: AbortSignal.timeout(500) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(READY_POLL_MS);
  }
  throw new NatsStartError(`nats-server on port ${spec.port} was not healthy within ${READY_TIMEOUT_MS} ms`, output());
}
