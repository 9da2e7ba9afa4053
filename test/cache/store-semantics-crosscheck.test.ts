/**
 * The Lua scripts against the pure functions they transcribe, on random sequences of operations. The contract suite
 * (store-contract.ts) checks chosen cases one by one; this one applies the same seeded random sequences to a
 * MemoryStore (which runs the functions of src/cache/store-semantics.ts) and to a RedisStore on a real redis-server
 * (which runs the scripts of src/cache/redis-scripts.ts), over so few users, versions, tokens, items and generations
 * that collisions are the rule: after every operation both must have answered the same, and both must hold the same
 * lists, states and leases.
 *
 * A failure names the sequence's seed and lists its operations up to the one that disagreed. The sequences are a
 * function of the base seed alone, so a failure reproduces on every run; `STORE_CROSSCHECK_SEED=<any text>` explores
 * other sequences.
 *
 * Time: nothing here lapses. Every TTL is far longer than the file runs, the memory store's clock stands still and
 * Redis' clock cannot outrun the TTLs: expiry is the contract suite's subject, the rules the scripts decide are this
 * one's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheStore } from '../../src/cache/cache-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { createRandom } from '../../src/model/prng.js';
import type { Random } from '../../src/model/prng.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { T0, makeEntry, makeWrite, purchase } from './fixtures.js';

const BASE_SEED = process.env.STORE_CROSSCHECK_SEED ?? 'store-crosscheck-1';
const SEQUENCES_PER_OPERATION = 75;
const OPERATIONS_PER_SEQUENCE = 20;
const SLOW_HOOK_MS = 60_000;
const SLOW_TEST_MS = 60_000;

const USERS = ['u1', 'u2', 'u3'];
const VERSIONS = ['v1', 'v2'];
/** '' is how "no token" reaches the scripts: as a token of its own it may be held, but it never releases a lease. */
const TOKENS = ['t1', 't2', 't3', ''];
/** Takes and gives back every lease after each operation, to see which are held: never one of `TOKENS`. */
const PROBE_TOKEN = 'probe';
const ITEMS = ['i1', 'i2', 'i3', 'i4'];
/** Expected generations are drawn from 0..this; a user's generation reaches it after that many purchases. */
const MAX_GENERATION = 3;
/** Bounds are drawn from -1..this: a bound below 0 is read as 0 (the script once looped forever on one). */
const MAX_REMEMBERED = 3;
const MAX_BATCH = 3;
/** Longer than the file runs, so no key lapses on Redis' real clock during a sequence. */
const LONG_TTL_MS = 10 * 60_000;

interface Target {
  readonly user: string;
  readonly version: string;
}

interface WriteStep extends Target {
  readonly label: string;
  readonly expectedGeneration: number;
  readonly leaseToken: string | undefined;
}

type Operation =
  | { readonly kind: 'write'; readonly writes: readonly WriteStep[] }
  | { readonly kind: 'acquire'; readonly targets: readonly Target[]; readonly token: string }
  | { readonly kind: 'release'; readonly targets: readonly Target[]; readonly token: string }
  | {
      readonly kind: 'purchase';
      readonly target: Target;
      readonly itemId: string;
      readonly at: number;
      readonly maxRemembered: number;
    };

type OperationKind = Operation['kind'];

const OPERATION_KINDS: readonly OperationKind[] = ['write', 'acquire', 'release', 'purchase'];

/** What a store shows of one sequence's keys: every user's snapshot per version, and which leases are held. */
interface Observation {
  readonly snapshots: unknown[];
  readonly leasesHeld: boolean[];
}

const ALL_TARGETS: readonly Target[] = USERS.flatMap((user) => VERSIONS.map((version) => ({ user, version })));

function randomTarget(random: Random): Target {
  return { user: random.pick(USERS), version: random.pick(VERSIONS) };
}

/** 1..MAX_BATCH targets, repeats allowed: a batch naming one user twice is a collision too. */
function randomTargets(random: Random): Target[] {
  return Array.from({ length: 1 + random.int(MAX_BATCH) }, () => randomTarget(random));
}

/** The sequence's focus is drawn half the time, the other operations share the rest (they set up its cases). */
function randomOperation(random: Random, focus: OperationKind): Operation {
  const kind = random.next() < 0.5 ? focus : random.pick(OPERATION_KINDS.filter((other) => other !== focus));
  switch (kind) {
    case 'write':
      return {
        kind,
        writes: randomTargets(random).map((target) => ({
          ...target,
          label: random.pick(['a', 'b', 'c']),
          expectedGeneration: random.int(MAX_GENERATION + 1),
          // One write in five carries no lease at all (`pick` cannot draw `undefined`).
          leaseToken: random.next() < 0.2 ? undefined : random.pick(TOKENS),
        })),
      };
    case 'acquire':
    case 'release':
      return { kind, targets: randomTargets(random), token: random.pick(TOKENS) };
    case 'purchase':
      return {
        kind,
        target: randomTarget(random),
        itemId: random.pick(ITEMS),
        // Whole epoch milliseconds, as Date.now() gives them: the script's cjson keeps 14 significant digits, so a
        // fraction of a millisecond (or a time past the year 5138) comes back rounded from Redis alone.
        at: T0 + random.int(1_000),
        maxRemembered: random.int(MAX_REMEMBERED + 2) - 1,
      };
  }
}

function randomSequence(seed: string, focus: OperationKind): Operation[] {
  const random = createRandom(seed);
  return Array.from({ length: OPERATIONS_PER_SEQUENCE }, () => randomOperation(random, focus));
}

function keysFor(prefix: string): (target: Target) => UserKeys {
  return (target) => userKeys(prefix, target.user, target.version);
}

/** Runs one operation; resolves with what the store answered (`releaseLeases` answers nothing). */
async function apply(store: CacheStore, prefix: string, operation: Operation): Promise<unknown> {
  const keysOf = keysFor(prefix);
  switch (operation.kind) {
    case 'write':
      return store.writeMany(
        operation.writes.map((step) =>
          makeWrite(keysOf(step), makeEntry({ label: step.label, modelVersion: step.version }), {
            ttlMs: LONG_TTL_MS,
            expectedGeneration: step.expectedGeneration,
            ...(step.leaseToken === undefined ? {} : { leaseToken: step.leaseToken }),
          }),
        ),
      );
    case 'acquire':
      return store.acquireLeases(operation.targets.map(keysOf), operation.token, LONG_TTL_MS);
    case 'release':
      return store.releaseLeases(operation.targets.map(keysOf), operation.token);
    case 'purchase':
      return store.recordPurchase(keysOf(operation.target), purchase(operation.itemId, operation.at), {
        maxRemembered: operation.maxRemembered,
        stateTtlMs: LONG_TTL_MS,
      });
  }
}

/**
 * Reads every user of the sequence, and sees which leases are held by taking every free one with `PROBE_TOKEN` and
 * giving those back: the store is left as it was, on both drivers alike as long as they agree.
 */
async function observe(store: CacheStore, prefix: string): Promise<Observation> {
  const keys = ALL_TARGETS.map(keysFor(prefix));
  const snapshots = await store.readMany(keys);
  const taken = await store.acquireLeases(keys, PROBE_TOKEN, LONG_TTL_MS);
  await store.releaseLeases(keys, PROBE_TOKEN);
  return { snapshots, leasesHeld: taken.map((free) => !free) };
}

let sequenceCounter = 0;

/**
 * Applies `operations` to a fresh MemoryStore and to `redis` (under a key prefix of its own), comparing each step.
 * An operation that fails on either driver (a script error, a script that never returns) fails with the same context
 * as a disagreement: the seed and the operations that led there.
 */
async function crossCheck(redis: RedisStore, seed: string, operations: readonly Operation[]): Promise<void> {
  sequenceCounter += 1;
  const prefix = `crosscheck-${sequenceCounter}:`;
  const memory = new MemoryStore(64_000_000, () => T0);
  try {
    for (const [index, operation] of operations.entries()) {
      const context = `seed ${JSON.stringify(seed)}, operation ${index}; operations so far: ${JSON.stringify(
        operations.slice(0, index + 1),
      )}`;
      const onBoth = async <T>(run: (store: CacheStore) => Promise<T>): Promise<{ memory: T; redis: T }> => {
        try {
          return { memory: await run(memory), redis: await run(redis) };
        } catch (error) {
          throw new Error(`an operation failed (${context})`, { cause: error });
        }
      };
      const answered = await onBoth(async (store) => apply(store, prefix, operation));
      expect(answered.redis, `the drivers answered differently (${context})`).toEqual(answered.memory);
      const held = await onBoth(async (store) => observe(store, prefix));
      expect(held.redis, `the drivers hold different things (${context})`).toEqual(held.memory);
    }
  } finally {
    await memory.close();
  }
}

describe('store semantics cross-check: Lua scripts against the pure functions, on random sequences', () => {
  let server: RedisProcess;
  let redis: RedisStore;

  beforeAll(async () => {
    server = await startRedis();
    redis = new RedisStore({
      url: server.url,
      timeoutMs: 2_000,
      onError: () => {
        // A lost connection fails the operation that needed it, which fails the test: nothing to add here.
      },
    });
  }, SLOW_HOOK_MS);

  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  }, SLOW_HOOK_MS);

  it.each(OPERATION_KINDS)(
    'agree on %s, in sequences where the other operations set up its cases',
    async (focus) => {
      let operationsRun = 0;
      for (let sequence = 0; sequence < SEQUENCES_PER_OPERATION; sequence += 1) {
        const seed = `${BASE_SEED}/${focus}/${sequence}`;
        const operations = randomSequence(seed, focus);
        await crossCheck(redis, seed, operations);
        operationsRun += operations.filter((operation) => operation.kind === focus).length;
      }
      // The focus really was exercised, not drawn away by the other operations.
      expect(operationsRun).toBeGreaterThan((SEQUENCES_PER_OPERATION * OPERATIONS_PER_SEQUENCE) / 3);
    },
    SLOW_TEST_MS,
  );
});
