/**
 * Graceful shutdown of a real gateway process: SIGTERM while requests are in flight.
 *
 * The requests are held in flight deterministically, not by timing: the gateway runs on its own Redis, which the
 * test puts to sleep (`DEBUG SLEEP`), so every read waits on Redis with the event loop idle, exactly like a slow
 * dependency in production. REDIS_TIMEOUT_MS is set above the sleep so the reads wait rather than fall back.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startGatewayProcess, postGraphQL } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { startTcpTap } from '../support/tcp-tap.js';
import type { TcpTap } from '../support/tcp-tap.js';
import { sleep, waitFor } from '../support/wait.js';
import { Cleanups, READ_QUERY } from '../gateway/helpers.js';

const IN_FLIGHT = 8;
// Each test starts a redis-server and a gateway process (tsx compiles the sources at start): slow on 2 busy cores.
const PROCESS_TEST_TIMEOUT_MS = 90_000;

interface Finished {
  readonly at: number;
  readonly status: number | undefined;
  readonly userId: string | undefined;
  readonly errors: unknown;
  readonly failure: string | undefined;
}

/** Sends one read and records when and how it ended, without throwing. */
async function timedRead(url: string, userId: string): Promise<Finished> {
  try {
    const { status, body } = await postGraphQL(url, READ_QUERY, { userId });
    const list = body.data?.recommendations as { userId: string } | undefined;
    return { at: Date.now(), status, userId: list?.userId, errors: body.errors, failure: undefined };
  } catch (error) {
    return { at: Date.now(), status: undefined, userId: undefined, errors: undefined, failure: String(error) };
  }
}

/** Resolves with the error code of a fresh TCP connection attempt (undefined when it connected). */
function tryConnect(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Polls until a new connection is refused; resolves with the time it first was. */
async function refusedAt(port: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if ((await tryConnect(port)) === 'ECONNREFUSED') return Date.now();
    await sleep(10); // the polling interval: the condition (a refused connect) is checked by the loop itself
  }
  throw new Error(`new connections to port ${port} were still accepted ${withinMs} ms after SIGTERM`);
}

/**
 * Puts Redis to sleep for `seconds` (`DEBUG SLEEP` on a connection of its own). Resolves once the command has been
 * written to that connection, so every command sent after it waits until Redis wakes; `woke` resolves with the time
 * Redis answered it.
 */
function sleepRedis(redis: RedisProcess, seconds: number): Promise<{ woke: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: redis.port });
    const woke = new Promise<number>((wake, fail) => {
      socket.once('data', () => {
        wake(Date.now());
        socket.destroy();
      });
      socket.once('error', (error) => {
        fail(error);
        reject(error);
      });
    });
    const args = ['DEBUG', 'SLEEP', String(seconds)];
    const command = `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
    socket.once('connect', () => socket.write(command, () => resolve({ woke })));
  });
}

describe('SIGTERM with requests in flight (real process, real Redis)', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  async function start(
    env: Record<string, string>,
  ): Promise<{ redis: RedisProcess; tap: TcpTap; gateway: GatewayProcess; port: number }> {
    const redis = await startRedis({ args: ['--enable-debug-command', 'yes'] });
    cleanups.add(() => redis.stop());
    const tap = await startTcpTap(redis.port);
    cleanups.add(() => tap.close());
    const gateway = await startGatewayProcess({
      REDIS_URL: `redis://127.0.0.1:${tap.port}`,
      REDIS_TIMEOUT_MS: '10000',
      ...env,
    });
    cleanups.add(async () => {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) await gateway.stop('SIGKILL');
    });
    // One read first, so the Redis connection is up before the test holds Redis.
    expect((await timedRead(gateway.url, 'warm')).status).toBe(200);
    return { redis, tap, gateway, port: Number(new URL(gateway.origin).port) };
  }

  /** Resolves once the gateway has sent Redis a command for each user's list: those reads now wait on Redis. */
  async function readsReachedRedis(tap: TcpTap, userIds: readonly string[]): Promise<void> {
    const missing = (): string[] => userIds.filter((userId) => !tap.sent().includes(`{${userId}}`));
    await waitFor(
      'every read sent to Redis',
      () => missing().length === 0,
      10_000,
      () => `missing: ${missing().join(', ')}`,
    );
  }

  it(
    'drains: no request is dropped, new connections are refused at once, Redis and model are closed, exit code 0',
    async () => {
      const { redis, tap, gateway, port } = await start({ SHUTDOWN_DRAIN_MS: '10000' });
      const { woke } = await sleepRedis(redis, 2);

      const users = Array.from({ length: IN_FLIGHT }, (_, index) => `drain-user-${index}`);
      const reads = users.map((userId) => timedRead(gateway.url, userId));
      await readsReachedRedis(tap, users);
      const exited = gateway.stop('SIGTERM');
      const sigtermAt = Date.now();

      const refused = await refusedAt(port, 1_500);
      const finished = await Promise.all(reads);
      const wokeAt = await woke;
      const code = await exited;

      // New connections were refused while every request was still waiting on Redis.
      expect(refused).toBeLessThan(wokeAt);
      expect(refused).toBeLessThan(Math.min(...finished.map((read) => read.at)));
      // Every in-flight request finished after SIGTERM, with its answer.
      for (const [index, read] of finished.entries()) {
        expect(read.failure).toBeUndefined();
        expect(read.status).toBe(200);
        expect(read.errors).toBeUndefined();
        expect(read.userId).toBe(`drain-user-${index}`);
        expect(read.at).toBeGreaterThan(sigtermAt);
      }
      expect(code).toBe(0);
      const closed = gateway
        .output()
        .split('\n')
        .find((line) => line.includes('"gateway closed"'));
      expect(closed).toBeDefined();
      expect(JSON.parse(closed as string)).toMatchObject({ drained: true, dependenciesClosed: true });
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'the drain is bounded: after SHUTDOWN_DRAIN_MS the connections still open are cut and the process exits 0',
    async () => {
      const { redis, tap, gateway, port } = await start({ SHUTDOWN_DRAIN_MS: '400' });
      const { woke } = await sleepRedis(redis, 5);

      const users = Array.from({ length: 3 }, (_, index) => `stuck-user-${index}`);
      const reads = users.map((userId) => timedRead(gateway.url, userId));
      await readsReachedRedis(tap, users);
      const exited = gateway.stop('SIGTERM');
      const sigtermAt = Date.now();
      await refusedAt(port, 1_500);
      const code = await exited;
      const exitedAfterMs = Date.now() - sigtermAt;
      const finished = await Promise.all(reads);

      expect(code).toBe(0);
      // Drain (0.4 s) plus the bounded close of Redis (2 s): before Redis wakes (5 s after it was put to sleep).
      expect(exitedAfterMs).toBeGreaterThanOrEqual(400);
      expect(exitedAfterMs).toBeLessThan(3_500);
      expect(Date.now()).toBeLessThan(await woke);
      for (const read of finished) expect(read.failure).toBeDefined();
      const closed = gateway
        .output()
        .split('\n')
        .find((line) => line.includes('"gateway closed"'));
      expect(JSON.parse(closed as string)).toMatchObject({ drained: false });
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
