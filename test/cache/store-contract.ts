/**
 * The store contract, as one vitest suite every driver must pass (the bentocache driver-test-suite habit): every
 * operation of the list store (`CacheStore`), the order ledger (`OrderLedger`) and the admin purge (`VersionPurge`).
 * The rules it checks are the ones `src/cache/store-semantics.ts` states once; the memory driver runs those functions
 * and the Redis driver's Lua scripts transcribe them, so this suite is what keeps the two in step.
 * Each driver's test file calls `registerStoreContract(name, setup)`; `setup.create()` returns a ready store.
 *
 * Time is the store's own: `pass(ms)` resolves once `ms` have passed on the clock that decides the store's expiry
 * (the memory driver's injected clock, moved at once; Redis' own clock, polled), never a fixed sleep.
 *
 * Every test uses its own key prefix, so drivers may share one backing server between tests.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreDriver } from '../../src/cache/cache-store.js';
import { EMPTY_USER_STATE } from '../../src/cache/cache-entry.js';
import { orderKey, userKeys, versionScanPatterns } from '../../src/cache/key-scheme.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import type { OrderRecord } from '../../src/cache/order-ledger.js';
import { LIMITS, T0, makeEntry, makeWrite, purchase } from './fixtures.js';

export interface ContractStore {
  readonly store: StoreDriver;
  readonly cleanup: () => Promise<void>;
  /** Resolves once `ms` have passed on the store's own clock, counted from this call. */
  readonly pass: (ms: number) => Promise<void>;
}

export interface StoreContractSetup {
  create(): Promise<ContractStore>;
  /**
   * A TTL the tests watch lapse: on a real server, long enough that the round trips between a write and the check
   * that it is still there never outlast it; on an injected clock, any value.
   */
  readonly shortTtlMs: number;
}

const PENDING: OrderRecord = { userId: 'u1', itemId: 'i1', status: 'pending', invalidated: false, claimedAt: T0 };
const DONE: OrderRecord = { userId: 'u1', itemId: 'i1', status: 'done', invalidated: true };

let prefixCounter = 0;

export function registerStoreContract(name: string, setup: StoreContractSetup): void {
  describe(`store contract: ${name}`, () => {
    let store: StoreDriver;
    let cleanup: () => Promise<void>;
    let pass: (ms: number) => Promise<void>;
    let prefix: string;
    const ttl = setup.shortTtlMs;

    /** Keys of one user under this test's own prefix. */
    const keysOf = (userId: string, version = 'v1'): UserKeys => userKeys(prefix, userId, version);

    beforeEach(async () => {
      prefixCounter += 1;
      prefix = `contract-${process.pid}-${prefixCounter}-${Math.random().toString(36).slice(2, 8)}:`;
      ({ store, cleanup, pass } = await setup.create());
    });

    afterEach(async () => {
      await cleanup();
    });

    describe('readMany', () => {
      it('returns one snapshot per key, in order, with entries and states', async () => {
        const alice = keysOf('alice');
        const bob = keysOf('bob');
        const nobody = keysOf('nobody');
        const aliceEntry = makeEntry({ label: 'alice' });
        const bobEntry = makeEntry({ label: 'bob', computeMs: 99 });
        expect(await store.recordPurchase(bob, purchase('x1', T0 + 1), LIMITS)).toBe(false);
        expect(
          await store.writeMany([makeWrite(alice, aliceEntry), makeWrite(bob, bobEntry, { expectedGeneration: 1 })]),
        ).toEqual([true, true]);

        const snapshots = await store.readMany([bob, nobody, alice, bob]);

        expect(snapshots).toHaveLength(4);
        expect(snapshots[0]).toEqual({ entry: bobEntry, state: { generation: 1, bought: [purchase('x1', T0 + 1)] } });
        expect(snapshots[1]).toEqual({ entry: undefined, state: EMPTY_USER_STATE });
        expect(snapshots[2]).toEqual({ entry: aliceEntry, state: EMPTY_USER_STATE });
        expect(snapshots[3]).toEqual(snapshots[0]);
      });

      it('reads a missing user as no entry and generation 0', async () => {
        const [snapshot] = await store.readMany([keysOf('ghost')]);
        expect(snapshot?.entry).toBeUndefined();
        expect(snapshot?.state.generation).toBe(0);
        expect(snapshot?.state.bought).toEqual([]);
      });

      it('resolves an empty list for no keys', async () => {
        expect(await store.readMany([])).toEqual([]);
      });

      it('keeps versions apart: a list of v1 does not answer for v2', async () => {
        await store.writeMany([makeWrite(keysOf('u', 'v1'), makeEntry())]);
        const [v2] = await store.readMany([keysOf('u', 'v2')]);
        expect(v2?.entry).toBeUndefined();
      });
    });

    describe('writeMany', () => {
      it('writes when the expected generation matches', async () => {
        const keys = keysOf('u1');
        const entry = makeEntry({ label: 'first' });
        expect(await store.writeMany([makeWrite(keys, entry, { expectedGeneration: 0 })])).toEqual([true]);
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.entry).toEqual(entry);
      });

      it('refuses a write with a stale generation and keeps the old value', async () => {
        const keys = keysOf('u1');
        await store.recordPurchase(keys, purchase('p1'), LIMITS);
        const current = makeEntry({ label: 'current' });
        expect(await store.writeMany([makeWrite(keys, current, { expectedGeneration: 1 })])).toEqual([true]);

        const outdated = makeEntry({ label: 'outdated' });
        expect(await store.writeMany([makeWrite(keys, outdated, { expectedGeneration: 0 })])).toEqual([false]);
        expect(await store.writeMany([makeWrite(keys, outdated, { expectedGeneration: 2 })])).toEqual([false]);

        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.entry).toEqual(current);
      });

      it('answers per write in a mixed batch', async () => {
        const fresh = keysOf('fresh');
        const bumped = keysOf('bumped');
        await store.recordPurchase(bumped, purchase('p1'), LIMITS);
        const results = await store.writeMany([
          makeWrite(fresh, makeEntry({ label: 'fresh' }), { expectedGeneration: 0 }),
          makeWrite(bumped, makeEntry({ label: 'bumped' }), { expectedGeneration: 0 }),
        ]);
        expect(results).toEqual([true, false]);
        const [freshSnapshot, bumpedSnapshot] = await store.readMany([fresh, bumped]);
        expect(freshSnapshot?.entry?.items[0]?.itemId).toBe('fresh-1');
        expect(bumpedSnapshot?.entry).toBeUndefined();
      });

      it('resolves an empty list for no writes', async () => {
        expect(await store.writeMany([])).toEqual([]);
      });

      it('round-trips an entry with no items', async () => {
        const keys = keysOf('empty');
        const entry = makeEntry({ items: [] });
        await store.writeMany([makeWrite(keys, entry)]);
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.entry).toEqual(entry);
      });
    });

    describe('recordPurchase', () => {
      it('bumps the generation so a write with the old generation is refused', async () => {
        const keys = keysOf('buyer');
        await store.recordPurchase(keys, purchase('p1'), LIMITS);
        const [afterOne] = await store.readMany([keys]);
        expect(afterOne?.state.generation).toBe(1);

        await store.recordPurchase(keys, purchase('p2'), LIMITS);
        const [afterTwo] = await store.readMany([keys]);
        expect(afterTwo?.state.generation).toBe(2);

        expect(await store.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 1 })])).toEqual([false]);
        expect(await store.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 2 })])).toEqual([true]);
      });

      it('deletes the list of the version and says whether one was deleted', async () => {
        const keys = keysOf('buyer');
        await store.writeMany([makeWrite(keys, makeEntry())]);
        expect(await store.recordPurchase(keys, purchase('p1'), LIMITS)).toBe(true);
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.entry).toBeUndefined();
        // Nothing left to delete the second time.
        expect(await store.recordPurchase(keys, purchase('p2'), LIMITS)).toBe(false);
      });

      it("drops the version's lease, so the next reader may start a recompute at once", async () => {
        const v1 = keysOf('buyer', 'v1');
        const v2 = keysOf('buyer', 'v2');
        expect(await store.acquireLeases([v1, v2], 'token-1', 60_000)).toEqual([true, true]);
        expect(await store.recordPurchase(v1, purchase('p1'), LIMITS)).toBe(false);
        // The v1 lease is gone; the lease of another version is not this purchase's business.
        expect(await store.acquireLeases([v1, v2], 'token-2', 60_000)).toEqual([true, false]);
      });

      it('leaves the lists of other versions alone', async () => {
        const v1 = keysOf('buyer', 'v1');
        const v2 = keysOf('buyer', 'v2');
        await store.writeMany([makeWrite(v1, makeEntry({ label: 'one' })), makeWrite(v2, makeEntry({ label: 'two' }))]);
        expect(await store.recordPurchase(v1, purchase('p1'), LIMITS)).toBe(true);
        const [one, two] = await store.readMany([v1, v2]);
        expect(one?.entry).toBeUndefined();
        expect(two?.entry?.items[0]?.itemId).toBe('two-1');
        // The state is version independent: both versions see the bump.
        expect(two?.state.generation).toBe(1);
      });

      it('remembers purchases most recent first, bounded by maxRemembered', async () => {
        const keys = keysOf('buyer');
        const limits = { maxRemembered: 2, stateTtlMs: 60_000 };
        await store.recordPurchase(keys, purchase('p1', T0 + 1), limits);
        const [one] = await store.readMany([keys]);
        expect(one?.state.bought).toEqual([purchase('p1', T0 + 1)]);

        await store.recordPurchase(keys, purchase('p2', T0 + 2), limits);
        await store.recordPurchase(keys, purchase('p3', T0 + 3), limits);
        const [three] = await store.readMany([keys]);
        expect(three?.state).toEqual({ generation: 3, bought: [purchase('p3', T0 + 3), purchase('p2', T0 + 2)] });
      });

      it('still bumps the generation when nothing is remembered (maxRemembered 0)', async () => {
        const keys = keysOf('buyer');
        await store.recordPurchase(keys, purchase('p1'), { maxRemembered: 0, stateTtlMs: 60_000 });
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.state).toEqual({ generation: 1, bought: [] });
      });

      // `stateAfterPurchase` reads any bound below 0, or none at all (NaN), as 0. The script once looped forever on a
      // negative bound (blocking the whole Redis) and kept every purchase, unbounded, on NaN.
      it.each([-1, Number.NaN])('remembers nothing under a maxRemembered of %s, and still bumps', async (max) => {
        const keys = keysOf('buyer');
        const limits = { maxRemembered: max, stateTtlMs: 60_000 };
        await store.recordPurchase(keys, purchase('p1'), LIMITS);
        expect(await store.recordPurchase(keys, purchase('p2'), limits)).toBe(false);
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.state).toEqual({ generation: 2, bought: [] });
      });

      it('lets the state expire after stateTtlMs', async () => {
        const keys = keysOf('buyer');
        await store.recordPurchase(keys, purchase('p1'), { maxRemembered: 5, stateTtlMs: ttl });
        const [before] = await store.readMany([keys]);
        expect(before?.state.generation).toBe(1);
        await pass(ttl);
        const [after] = await store.readMany([keys]);
        expect(after?.state).toEqual(EMPTY_USER_STATE);
      });
    });

    describe('acquireLeases', () => {
      it('is exclusive: a second acquire fails while the first holds it', async () => {
        const a = keysOf('a');
        const b = keysOf('b');
        expect(await store.acquireLeases([a, b], 'token-1', 10_000)).toEqual([true, true]);
        expect(await store.acquireLeases([a], 'token-2', 10_000)).toEqual([false]);
        expect(await store.acquireLeases([a], 'token-1', 10_000)).toEqual([false]);
        expect(await store.acquireLeases([b, keysOf('c')], 'token-2', 10_000)).toEqual([false, true]);
      });

      it('resolves an empty list for no keys', async () => {
        expect(await store.acquireLeases([], 'token', 1_000)).toEqual([]);
      });

      it('expires after its ttl', async () => {
        const keys = keysOf('a');
        expect(await store.acquireLeases([keys], 'token-1', ttl)).toEqual([true]);
        expect(await store.acquireLeases([keys], 'token-2', ttl)).toEqual([false]);
        await pass(ttl);
        expect(await store.acquireLeases([keys], 'token-2', ttl)).toEqual([true]);
      });

      // The lease rule of `EntryWrite.leaseToken`: a successful write keeps its lease until it lapses (a replica
      // that missed just before the write is told "taken" and reads the new list instead of computing it again); a
      // refused write gives its lease back at once, so the recompute after the purchase can start immediately.
      it('is kept after a successful writeMany with the lease token, until its ttl lapses', async () => {
        const keys = keysOf('a');
        expect(await store.acquireLeases([keys], 'token-1', ttl)).toEqual([true]);
        expect(await store.writeMany([makeWrite(keys, makeEntry(), { leaseToken: 'token-1' })])).toEqual([true]);
        expect(await store.acquireLeases([keys], 'token-2', ttl)).toEqual([false]);
        await pass(ttl);
        expect(await store.acquireLeases([keys], 'token-2', ttl)).toEqual([true]);
      });

      it('is not released by a successful write carrying another token or none', async () => {
        const keys = keysOf('a');
        expect(await store.acquireLeases([keys], 'token-1', 10_000)).toEqual([true]);
        expect(await store.writeMany([makeWrite(keys, makeEntry(), { leaseToken: 'someone-else' })])).toEqual([true]);
        expect(await store.writeMany([makeWrite(keys, makeEntry())])).toEqual([true]);
        expect(await store.acquireLeases([keys], 'token-2', 10_000)).toEqual([false]);
      });

      it('is released by a refused writeMany with the lease token', async () => {
        const keys = keysOf('a');
        // The purchase comes first (it drops any lease itself); the lease is taken on the already bumped state.
        await store.recordPurchase(keys, purchase('p1'), LIMITS);
        expect(await store.acquireLeases([keys], 'token-1', 10_000)).toEqual([true]);
        expect(await store.acquireLeases([keys], 'token-2', 10_000)).toEqual([false]);
        expect(
          await store.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 0, leaseToken: 'token-1' })]),
        ).toEqual([false]);
        expect(await store.acquireLeases([keys], 'token-2', 10_000)).toEqual([true]);
      });

      it('is not released by a refused write carrying another token or none', async () => {
        const keys = keysOf('a');
        await store.recordPurchase(keys, purchase('p1'), LIMITS);
        expect(await store.acquireLeases([keys], 'token-1', 10_000)).toEqual([true]);
        const stale = { expectedGeneration: 0 };
        expect(await store.writeMany([makeWrite(keys, makeEntry(), { ...stale, leaseToken: 'someone-else' })])).toEqual(
          [false],
        );
        expect(await store.writeMany([makeWrite(keys, makeEntry(), stale)])).toEqual([false]);
        expect(await store.acquireLeases([keys], 'token-2', 10_000)).toEqual([false]);
      });

      it('releases per write in a batch: only the refused one gives its lease back', async () => {
        const kept = keysOf('kept');
        const released = keysOf('released');
        await store.recordPurchase(released, purchase('p1'), LIMITS);
        expect(await store.acquireLeases([kept, released], 'token-1', 10_000)).toEqual([true, true]);
        const results = await store.writeMany([
          makeWrite(kept, makeEntry(), { expectedGeneration: 0, leaseToken: 'token-1' }),
          makeWrite(released, makeEntry(), { expectedGeneration: 0, leaseToken: 'token-1' }),
        ]);
        expect(results).toEqual([true, false]);
        expect(await store.acquireLeases([kept, released], 'token-2', 10_000)).toEqual([false, true]);
      });

      it('does not hide the list: a lease and an entry of the same user coexist', async () => {
        const keys = keysOf('a');
        const entry = makeEntry();
        await store.writeMany([makeWrite(keys, entry)]);
        await store.acquireLeases([keys], 'token-1', 10_000);
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot?.entry).toEqual(entry);
      });
    });

    describe('releaseLeases', () => {
      it('gives back the leases this token holds, so another caller may take them at once', async () => {
        const a = keysOf('a');
        const b = keysOf('b');
        expect(await store.acquireLeases([a, b], 'token-1', 60_000)).toEqual([true, true]);
        await store.releaseLeases([a, b], 'token-1');
        expect(await store.acquireLeases([a, b], 'token-2', 60_000)).toEqual([true, true]);
      });

      it('leaves alone a lease held by another token, and users without a lease', async () => {
        const held = keysOf('held');
        const free = keysOf('free');
        expect(await store.acquireLeases([held], 'token-1', 60_000)).toEqual([true]);
        await store.releaseLeases([held, free], 'token-2');
        expect(await store.acquireLeases([held, free], 'token-3', 60_000)).toEqual([false, true]);
      });

      it('does not touch the list or the state', async () => {
        const keys = keysOf('a');
        const entry = makeEntry();
        await store.recordPurchase(keys, purchase('p1'), LIMITS);
        await store.writeMany([makeWrite(keys, entry, { expectedGeneration: 1 })]);
        await store.acquireLeases([keys], 'token-1', 60_000);
        await store.releaseLeases([keys], 'token-1');
        const [snapshot] = await store.readMany([keys]);
        expect(snapshot).toEqual({ entry, state: { generation: 1, bought: [purchase('p1')] } });
      });

      it('resolves for no keys', async () => {
        await expect(store.releaseLeases([], 'token')).resolves.toBeUndefined();
      });
    });

    describe('OrderLedger', () => {
      const orderOf = (orderId: string): string => orderKey(prefix, orderId);

      it('claims a new order id once: the first claim resolves undefined, later ones the stored record', async () => {
        const key = orderOf('o1');
        expect(await store.claimOrder(key, PENDING, 60_000)).toBeUndefined();
        const other: OrderRecord = { ...PENDING, userId: 'someone-else', claimedAt: T0 + 5 };
        expect(await store.claimOrder(key, other, 60_000)).toEqual(PENDING);
        // The losing claim did not overwrite the record.
        expect(await store.claimOrder(key, other, 60_000)).toEqual(PENDING);
      });

      it('saveOrder overwrites the record (pending → done), which later claims report', async () => {
        const key = orderOf('o1');
        expect(await store.claimOrder(key, PENDING, 60_000)).toBeUndefined();
        await store.saveOrder(key, DONE, 60_000);
        expect(await store.claimOrder(key, PENDING, 60_000)).toEqual(DONE);
      });

      it('saveOrder on an unclaimed id stores it too', async () => {
        const key = orderOf('o2');
        await store.saveOrder(key, DONE, 60_000);
        expect(await store.claimOrder(key, PENDING, 60_000)).toEqual(DONE);
      });

      it('keeps order ids apart', async () => {
        expect(await store.claimOrder(orderOf('o1'), PENDING, 60_000)).toBeUndefined();
        expect(await store.claimOrder(orderOf('o10'), DONE, 60_000)).toBeUndefined();
        expect(await store.claimOrder(orderOf('o1'), DONE, 60_000)).toEqual(PENDING);
      });

      it('forgets an order after its ttl: the id can be claimed again', async () => {
        const key = orderOf('o1');
        expect(await store.claimOrder(key, PENDING, ttl)).toBeUndefined();
        expect(await store.claimOrder(key, DONE, ttl)).toEqual(PENDING);
        await pass(ttl);
        expect(await store.claimOrder(key, DONE, 60_000)).toBeUndefined();
        expect(await store.claimOrder(key, PENDING, 60_000)).toEqual(DONE);
      });

      it('is untouched by purchases and purges', async () => {
        const key = orderOf('o1');
        await store.saveOrder(key, DONE, 60_000);
        await store.recordPurchase(keysOf('u1'), purchase('i1'), LIMITS);
        await store.purgeVersion(versionScanPatterns(prefix, 'v1'), 100);
        expect(await store.claimOrder(key, PENDING, 60_000)).toEqual(DONE);
      });
    });

    describe('TTL', () => {
      it('makes a written entry disappear after its ttlMs', async () => {
        const short = keysOf('short');
        const long = keysOf('long');
        await store.writeMany([
          makeWrite(short, makeEntry(), { ttlMs: ttl }),
          makeWrite(long, makeEntry(), { ttlMs: 60_000 }),
        ]);
        const [shortBefore] = await store.readMany([short]);
        expect(shortBefore?.entry).toBeDefined();
        await pass(ttl);
        const [shortAfter, longAfter] = await store.readMany([short, long]);
        expect(shortAfter?.entry).toBeUndefined();
        expect(longAfter?.entry).toBeDefined();
      });
    });

    describe('purgeVersion', () => {
      it("deletes only that version's lists and leases and returns the count", async () => {
        const users = ['p1', 'p2', 'p3'];
        await store.recordPurchase(keysOf('p1', 'v1'), purchase('bought'), LIMITS);
        await store.writeMany(
          users.flatMap((user) => [
            makeWrite(keysOf(user, 'v1'), makeEntry({ label: `${user}-v1` }), {
              expectedGeneration: user === 'p1' ? 1 : 0,
            }),
            makeWrite(keysOf(user, 'v2'), makeEntry({ label: `${user}-v2` }), {
              expectedGeneration: user === 'p1' ? 1 : 0,
            }),
          ]),
        );
        await store.acquireLeases([keysOf('p1', 'v1'), keysOf('p2', 'v1')], 'token', 60_000);
        await store.acquireLeases([keysOf('p3', 'v2')], 'token', 60_000);

        // Batch size 2: the purge has to walk the key space in several steps.
        const removed = await store.purgeVersion(versionScanPatterns(prefix, 'v1'), 2);
        expect(removed).toBe(3 + 2);

        const v1 = await store.readMany(users.map((user) => keysOf(user, 'v1')));
        expect(v1.map((snapshot) => snapshot.entry)).toEqual([undefined, undefined, undefined]);
        const v2 = await store.readMany(users.map((user) => keysOf(user, 'v2')));
        expect(v2.map((snapshot) => snapshot.entry?.items[0]?.itemId)).toEqual(['p1-v2-1', 'p2-v2-1', 'p3-v2-1']);
        // The user state survives the purge.
        expect(v2[0]?.state).toEqual({ generation: 1, bought: [purchase('bought')] });

        // v1 leases are gone, the v2 lease is still held.
        expect(
          await store.acquireLeases([keysOf('p1', 'v1'), keysOf('p2', 'v1'), keysOf('p3', 'v2')], 'other', 60_000),
        ).toEqual([true, true, false]);
      });

      it('resolves 0 when nothing matches', async () => {
        await store.writeMany([makeWrite(keysOf('u', 'v2'), makeEntry())]);
        expect(await store.purgeVersion(versionScanPatterns(prefix, 'v1'), 100)).toBe(0);
        const [snapshot] = await store.readMany([keysOf('u', 'v2')]);
        expect(snapshot?.entry).toBeDefined();
      });

      it('does not take a version whose name merely starts the same (v1 vs v10)', async () => {
        await store.writeMany([makeWrite(keysOf('u', 'v1'), makeEntry()), makeWrite(keysOf('u', 'v10'), makeEntry())]);
        expect(await store.purgeVersion(versionScanPatterns(prefix, 'v1'), 100)).toBe(1);
        const [v10] = await store.readMany([keysOf('u', 'v10')]);
        expect(v10?.entry).toBeDefined();
      });
    });

    describe('user independence', () => {
      it('keeps keys of different users apart', async () => {
        const alice = keysOf('alice');
        const bob = keysOf('bob');
        await store.writeMany([
          makeWrite(alice, makeEntry({ label: 'alice' })),
          makeWrite(bob, makeEntry({ label: 'bob' })),
        ]);
        expect(await store.recordPurchase(alice, purchase('p1'), LIMITS)).toBe(true);
        expect(await store.acquireLeases([alice], 'token-1', 10_000)).toEqual([true]);

        const [aliceSnapshot, bobSnapshot] = await store.readMany([alice, bob]);
        expect(aliceSnapshot?.entry).toBeUndefined();
        expect(aliceSnapshot?.state.generation).toBe(1);
        expect(bobSnapshot?.entry?.items[0]?.itemId).toBe('bob-1');
        expect(bobSnapshot?.state).toEqual(EMPTY_USER_STATE);
        // Alice's lease does not block Bob, and Bob's generation is still 0.
        expect(await store.acquireLeases([bob], 'token-1', 10_000)).toEqual([true]);
        expect(
          await store.writeMany([makeWrite(bob, makeEntry({ label: 'bob2' }), { expectedGeneration: 0 })]),
        ).toEqual([true]);
      });

      it('does not confuse users whose ids share a prefix', async () => {
        const one = keysOf('1');
        const eleven = keysOf('11');
        await store.writeMany([makeWrite(one, makeEntry({ label: 'one' }))]);
        await store.recordPurchase(eleven, purchase('p1'), LIMITS);
        const [oneSnapshot, elevenSnapshot] = await store.readMany([one, eleven]);
        expect(oneSnapshot?.entry?.items[0]?.itemId).toBe('one-1');
        expect(oneSnapshot?.state.generation).toBe(0);
        expect(elevenSnapshot?.entry).toBeUndefined();
        expect(elevenSnapshot?.state.generation).toBe(1);
      });
    });

    describe('ping and close', () => {
      it('ping resolves while the store is up', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('close resolves, and closing again is harmless', async () => {
        await store.writeMany([makeWrite(keysOf('u'), makeEntry())]);
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
