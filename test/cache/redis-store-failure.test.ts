/**
 * RedisStore when Redis is not there: down from the start, killed mid-run, stalled, and back again.
 *
 * The elapsed-time bounds below are hang guards, deliberately generous (the store's own bound is TIMEOUT_MS):
 * what they catch is an operation that waits forever, not one that is a little slow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/cache/redis-store.js';
import { userKeys, versionScanPatterns } from '../../src/cache/key-scheme.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { freePort } from '../support/free-port.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { LIMITS, makeEntry, makeWrite, purchase, sleep } from './fixtures.js';

const TIMEOUT_MS = 500;
const HANG_GUARD_MS = 3_000;
const RECOVERY_MS = 5_000;

const keys = userKeys('', '42', 'v1');
const ORDER = { userId: '42', itemId: 'p1', status: 'pending', invalidated: false } as const;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Last in, first out: stores close before their server stops. Every cleanup runs even if one fails, so a
  // failing assertion in a store's cleanup can never leave a redis-server behind.
  const failures: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
});

async function redis(): Promise<RedisProcess> {
  const server = await startRedis();
  cleanups.push(async () => server.stop());
  return server;
}

function store(url: string): { store: RedisStore; errors: Error[] } {
  const errors: Error[] = [];
  const created = new RedisStore({ url, timeoutMs: TIMEOUT_MS, onError: (error) => errors.push(error) });
  cleanups.push(async () => {
    const started = Date.now();
    await created.close();
    expect(Date.now() - started).toBeLessThan(HANG_GUARD_MS);
  });
  return { store: created, errors };
}

/** Awaits `operation`, expecting a StoreUnavailableError; resolves with how long it took. */
async function rejectsUnavailable(operation: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  const outcome = await operation().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const elapsed = Date.now() - started;
  expect(outcome.ok, `expected a rejection, got ${JSON.stringify(outcome)}`).toBe(false);
  if (!outcome.ok) {
    expect(outcome.error).toBeInstanceOf(StoreUnavailableError);
    expect((outcome.error as StoreUnavailableError).message).toMatch(/^cache store failed during /);
  }
  return elapsed;
}

/** Every operation of the contract, each expected to fail fast. */
const allOperations = (target: RedisStore): Array<[string, () => Promise<unknown>]> => [
  ['readMany', async () => target.readMany([keys])],
  ['writeMany', async () => target.writeMany([makeWrite(keys, makeEntry())])],
  ['acquireLeases', async () => target.acquireLeases([keys], 'token', 1_000)],
  ['releaseLeases', async () => target.releaseLeases([keys], 'token')],
  ['recordPurchase', async () => target.recordPurchase(keys, purchase('p1'), LIMITS)],
  ['claimOrder', async () => target.claimOrder('recs:order:o1', ORDER, 60_000)],
  ['saveOrder', async () => target.saveOrder('recs:order:o1', ORDER, 60_000)],
  ['purgeVersion', async () => target.purgeVersion(versionScanPatterns('', 'v1'), 100)],
  ['ping', async () => target.ping()],
];

async function pollUntilReadable(target: RedisStore, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await target.readMany([keys]);
      return Date.now() - started;
    } catch (error) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      if (Date.now() - started > withinMs)
        throw new Error(`store did not recover within ${withinMs} ms`, { cause: error });
      await sleep(100);
    }
  }
}

describe('RedisStore with Redis down from the start', () => {
  it('rejects readMany with StoreUnavailableError within the bound instead of hanging', async () => {
    const port = await freePort();
    const { store: down, errors } = store(`redis://127.0.0.1:${port}`);
    const elapsed = await rejectsUnavailable(async () => down.readMany([keys, userKeys('', '43', 'v1')]));
    expect(elapsed).toBeLessThan(HANG_GUARD_MS);
    // The connection errors went to the listener (nothing was thrown at the process).
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.some((error) => /ECONNREFUSED/.test(`${error.message} ${String((error as { code?: unknown }).code)}`)),
    ).toBe(true);
  });

  it('rejects every operation with StoreUnavailableError, each within the bound', async () => {
    const port = await freePort();
    const { store: down } = store(`redis://127.0.0.1:${port}`);
    for (const [name, operation] of allOperations(down)) {
      const elapsed = await rejectsUnavailable(operation);
      expect(elapsed, name).toBeLessThan(HANG_GUARD_MS);
    }
  });

  it('rejects concurrent calls too, and comes up by itself once Redis starts on that port', async () => {
    const port = await freePort();
    const { store: late } = store(`redis://127.0.0.1:${port}`);
    const started = Date.now();
    const results = await Promise.allSettled([
      late.readMany([keys]),
      late.ping(),
      late.acquireLeases([keys], 't', 1_000),
    ]);
    expect(Date.now() - started).toBeLessThan(HANG_GUARD_MS);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);

    const server = await startRedis({ port });
    cleanups.splice(cleanups.length - 1, 0, async () => server.stop());
    await pollUntilReadable(late, RECOVERY_MS);
    expect(await late.writeMany([makeWrite(keys, makeEntry())])).toEqual([true]);
  });
});

describe('RedisStore when Redis dies mid-run', () => {
  it('rejects quickly after kill() and recovers by itself after restart()', async () => {
    const server = await redis();
    const { store: live, errors } = store(server.url);
    const entry = makeEntry();
    expect(await live.writeMany([makeWrite(keys, entry)])).toEqual([true]);
    const [before] = await live.readMany([keys]);
    expect(before?.entry).toEqual(entry);

    await server.kill();

    for (const [name, operation] of allOperations(live)) {
      const elapsed = await rejectsUnavailable(operation);
      expect(elapsed, name).toBeLessThan(HANG_GUARD_MS);
    }
    expect(errors.length).toBeGreaterThan(0);

    await server.restart();
    const recoveredIn = await pollUntilReadable(live, RECOVERY_MS);
    expect(recoveredIn).toBeLessThan(RECOVERY_MS + 1_000);

    // The restarted Redis has neither the data nor the scripts: the writes must load them again (NOSCRIPT).
    const [after] = await live.readMany([keys]);
    expect(after?.entry).toBeUndefined();
    expect(await live.writeMany([makeWrite(keys, entry)])).toEqual([true]);
    expect(await live.recordPurchase(keys, purchase('p1'), LIMITS)).toBe(true);
    expect(await live.acquireLeases([keys], 'token', 1_000)).toEqual([true]);
    await expect(live.ping()).resolves.toBeUndefined();
  });

  it('rejects in-flight operations when the server dies under them', async () => {
    const server = await redis();
    const { store: live } = store(server.url);
    await live.ping();
    const inFlight = Promise.allSettled([
      live.readMany([keys]),
      live.writeMany([makeWrite(keys, makeEntry())]),
      live.ping(),
    ]);
    await server.kill();
    const started = Date.now();
    const results = await inFlight;
    expect(Date.now() - started).toBeLessThan(HANG_GUARD_MS);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(StoreUnavailableError);
    }
    // Whatever was in flight has settled; new operations fail fast while the server is gone.
    const elapsed = await rejectsUnavailable(async () => live.readMany([keys]));
    expect(elapsed).toBeLessThan(HANG_GUARD_MS);
  });
});

describe('RedisStore when Redis stalls', () => {
  it('times out operations at its bound while the server does not answer, then carries on', async () => {
    const server = await redis();
    const { store: live } = store(server.url);
    await live.writeMany([makeWrite(keys, makeEntry())]);

    // SIGSTOP keeps the TCP connection up but nothing answers: only the store's own time bound can end a call.
    process.kill(server.pid, 'SIGSTOP');
    try {
      for (const [name, operation] of allOperations(live)) {
        const elapsed = await rejectsUnavailable(operation);
        expect(elapsed, name).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(elapsed, name).toBeLessThan(HANG_GUARD_MS);
      }
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }

    await pollUntilReadable(live, RECOVERY_MS);
    // A timeout does not cancel: the commands reached Redis and ran once it woke up, in order (the purchase bumped
    // the generation and deleted the list). Callers must treat a timed-out write as "outcome unknown".
    const [snapshot] = await live.readMany([keys]);
    expect(snapshot?.state.generation).toBe(1);
    expect(snapshot?.entry).toBeUndefined();
    expect(await live.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 1 })])).toEqual([true]);
  });

  it('closes within the bound while the server does not answer', async () => {
    const server = await redis();
    const errors: Error[] = [];
    const live = new RedisStore({ url: server.url, timeoutMs: TIMEOUT_MS, onError: (error) => errors.push(error) });
    await live.ping();
    process.kill(server.pid, 'SIGSTOP');
    try {
      const pending = live.readMany([keys]).catch((error: unknown) => error);
      const started = Date.now();
      await live.close();
      expect(Date.now() - started).toBeLessThan(HANG_GUARD_MS);
      expect(await pending).toBeInstanceOf(StoreUnavailableError);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
  });
});
