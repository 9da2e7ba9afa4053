/**
 * The production start command, exactly as docs/operations.md gives it, run against a fresh build: it loads `.env`
 * from the working directory, receives SIGTERM itself (no npm in between), answers every request in flight and
 * exits 0.
 *
 * The requests are held in flight by the model: the gateway calls a model server (in this process) that takes
 * 3 s per rank call, so every read of a new user waits on it with the gateway's event loop idle. SIGTERM is sent
 * once the model server has seen every read's rank call, so each of them is in flight then, not just sent.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL } from '../support/gateway.js';
import { freePort } from '../support/free-port.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';
import { READ_QUERY } from '../gateway/helpers.js';
import { sleep } from '../support/wait.js';
import { GATEWAY_NODE_FLAGS } from '../../src/dev/node-flags.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPERATIONS = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
const MODEL_LATENCY_MS = 3_000;
const IN_FLIGHT = 6;

/** The command of the ```sh block that starts with `node ` in the "Production start" section. */
function documentedCommand(): string[] {
  const section = OPERATIONS.split(/^## /m).find((part) => part.startsWith('Production start'));
  if (section === undefined) throw new Error('docs/operations.md has no "## Production start" section');
  const command = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => (match[1] as string).trim())
    .find((text) => text.startsWith('node '));
  if (command === undefined) throw new Error('the "Production start" section has no ```sh block starting with `node `');
  // Run without a shell, as a container runtime runs an exec-form CMD: no expansion, no wrapper process.
  if (/[|&;<>()$`"'\\\n]/.test(command))
    throw new Error(`the production command must be a plain argument list, but is: ${command}`);
  return command.split(/\s+/);
}

describe('the documented production start command', () => {
  let model: InProcessModelServer;
  let workdir: string;

  beforeAll(async () => {
    // A fresh build: the command runs dist/, not the sources.
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
    model = await startModelServer({ version: 'v5', latencyMs: MODEL_LATENCY_MS });
    // A working directory of its own, so the test's `.env` never touches a developer's; dist/ is the real build.
    workdir = mkdtempSync(join(tmpdir(), 'recs-prod-start-'));
    symlinkSync(join(ROOT, 'dist'), join(workdir, 'dist'));
  }, 180_000);

  afterAll(async () => {
    await model?.close();
    if (workdir !== undefined) rmSync(workdir, { recursive: true, force: true });
  });

  it('is node itself, loads .env, drains on SIGTERM with requests in flight, and exits 0', async () => {
    const argv = documentedCommand();
    expect(argv[0]).toBe('node');
    expect(argv).toContain('--env-file-if-exists=.env');
    const port = await freePort();
    writeFileSync(
      join(workdir, '.env'),
      [
        `PORT=${port}`,
        'HOST=127.0.0.1',
        'NODE_ENV=test',
        'LOG_LEVEL=info',
        `MODEL_URL=${model.url}`,
        'MODEL_VERSION_POLL_SECONDS=0',
        'MODEL_TIMEOUT_MS=10000',
        'SHUTDOWN_DRAIN_MS=10000',
        '',
      ].join('\n'),
    );
    // Nothing of the test's own environment that .env sets: the values must come from the file.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !['PORT', 'HOST', 'MODEL_URL', 'NODE_ENV', 'LOG_LEVEL'].includes(name),
      ),
    );
    const child = spawn(process.execPath, argv.slice(1), { cwd: workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const origin = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${output}`);
        const ready = await fetch(`${origin}/readyz`).then(
          (response) => response.ok,
          () => false,
        );
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`not ready on the port .env named within 30 s:\n${output}`);
        await sleep(100); // the polling interval; the condition is a ready /readyz
      }
      const started = JSON.parse(
        output.split('\n').find((line) => line.includes('"recs-gateway listening"')) ?? '{}',
      ) as Record<string, unknown>;
      expect(started.modelVersion).toBe('v5'); // MODEL_URL came from .env

      const reads = Array.from({ length: IN_FLIGHT }, (_, index) =>
        postGraphQL(`${origin}/graphql`, READ_QUERY, { userId: `prod-${index}` }).then(
          (answer) => ({ answer, at: Date.now() }),
          (error: unknown) => ({ answer: undefined, at: Date.now(), error: String(error) }),
        ),
      );
      // Every read has reached the model server (one rank call per request) and waits on it: all are in flight.
      const inFlightBy = Date.now() + MODEL_LATENCY_MS / 2;
      while ((model.requests.get('/v1/rank') ?? 0) < IN_FLIGHT) {
        if (Date.now() > inFlightBy)
          throw new Error(
            `only ${model.requests.get('/v1/rank') ?? 0} of ${IN_FLIGHT} reads reached the model in time`,
          );
        await sleep(10); // the polling interval; the condition is the rank count above
      }
      const sigtermAt = Date.now();
      child.kill('SIGTERM');
      const finished = await Promise.all(reads);
      const code = await exited;

      expect(code).toBe(0);
      for (const [index, read] of finished.entries()) {
        expect(read.answer?.status, JSON.stringify(read)).toBe(200);
        expect(read.answer?.body.errors).toBeUndefined();
        expect((read.answer?.body.data?.recommendations as { userId: string } | undefined)?.userId).toBe(
          `prod-${index}`,
        );
        expect(read.at).toBeGreaterThan(sigtermAt);
      }
      const closed = output.split('\n').find((line) => line.includes('"gateway closed"'));
      expect(closed, output).toBeDefined();
      expect(JSON.parse(closed as string)).toMatchObject({ drained: true, dependenciesClosed: true });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('carries the Node flags the gateway is measured with, as npm start and the benchmarks do', () => {
    const flags = documentedCommand()
      .slice(1, -1)
      .filter((argument) => !argument.startsWith('--env-file'));
    expect(flags).toEqual([...GATEWAY_NODE_FLAGS]);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } })
      .scripts;
    expect(scripts.start).toBe(documentedCommand().join(' '));
    expect(OPERATIONS).toContain(
      `CMD [${documentedCommand()
        .map((argument) => JSON.stringify(argument))
        .join(', ')}]`,
    );
  });
});
