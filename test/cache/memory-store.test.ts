import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { registerStoreContract } from './store-contract.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import type { CacheEntry } from '../../src/cache/cache-entry.js';
import type { RankedItem } from '../../src/model/model.js';
import { LIMITS, T0, makeEntry, makeWrite, purchase } from './fixtures.js';

/** 100 items with ids of the form `<label>-<n>` and scores that need all their digits. */
function hundredItems(label: string): RankedItem[] {
  return Array.from({ length: 100 }, (_, index) => ({ itemId: `${label}-${index}`, score: 1 - index / 7 }));
}

/** A bound below what any 100-item list costs. */
const SMALLER_THAN_A_LIST = 400;

/** A default-sized list as the built-in model makes it: catalogue ids, scores to six decimals, descending. */
function catalogueItems(seed: number): RankedItem[] {
  return Array.from({ length: 100 }, (_, index) => ({
    itemId: `i${(seed * 7919 + index * 104_729) % 50_000}`,
    score: Math.round((1 - index / 100) * 1e6) / 1e6,
  }));
}

registerStoreContract('memory', {
  // Any value: time is the store's injected clock, moved at once.
  shortTtlMs: 100,
  async create() {
    let now = T0;
    const store = new MemoryStore(64_000_000, () => now);
    return {
      store,
      cleanup: async () => store.close(),
      pass: async (ms) => {
        now += ms;
      },
    };
  },
});

describe('MemoryStore specifics', () => {
  it('reports its kind', () => {
    expect(new MemoryStore(64_000_000).kind).toBe('memory');
  });

  it('is bounded by bytes: past the bound the least recently used lists go first', async () => {
    const keysOf = (user: string): UserKeys => userKeys('', user, 'v1');
    const list = (label: string): CacheEntry => makeEntry({ label, items: hundredItems(label) });
    // What one 100-item list costs against the bound, measured on the real store.
    const probe = new MemoryStore(64_000_000);
    await probe.writeMany([makeWrite(keysOf('u0'), list('u0'))]);
    const perList = probe.size.bytes;
    expect(perList).toBeGreaterThan(500);
    expect(perList).toBeLessThan(4_000);

    const maxBytes = Math.floor(perList * 3.5);
    const store = new MemoryStore(maxBytes);
    for (const user of ['u0', 'u1', 'u2']) await store.writeMany([makeWrite(keysOf(user), list(user))]);
    // A read makes u0 the most recently used: u1 and u2 are the ones to go.
    await store.readMany([keysOf('u0')]);
    for (const user of ['u3', 'u4']) await store.writeMany([makeWrite(keysOf(user), list(user))]);

    const snapshots = await store.readMany(['u0', 'u1', 'u2', 'u3', 'u4'].map(keysOf));
    expect(snapshots.map((snapshot) => snapshot.entry?.items[0]?.itemId)).toEqual([
      'u0-0',
      undefined,
      undefined,
      'u3-0',
      'u4-0',
    ]);
    expect(store.size.entries).toBe(3);
    expect(store.size.bytes).toBe(perList * 3);
    expect(store.size.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('does not keep a list larger than its whole bound: the write ends, the read is a miss', async () => {
    const store = new MemoryStore(SMALLER_THAN_A_LIST);
    const keys = userKeys('', 'big', 'v1');
    await expect(store.writeMany([makeWrite(keys, makeEntry({ items: hundredItems('big') }))])).resolves.toEqual([
      true,
    ]);
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.entry).toBeUndefined();
    expect(store.size).toEqual({ bytes: 0, entries: 0 });
  });

  it('gives back exactly the entry written, whatever compact form it is held in', async () => {
    const store = new MemoryStore(64_000_000);
    const entries: CacheEntry[] = [
      // Catalogue ids, scores in millionths, whole-millisecond times, a drift estimate: the most compact form.
      makeEntry({
        items: [
          { itemId: 'i7', score: 0.912345 },
          { itemId: 'i12345', score: -0.5 },
        ],
        drift: { ratePerHour: 0.0123, samples: 4 },
      }),
      // Free-form ids, scores with every digit, fractional times: the general form.
      makeEntry({
        items: [
          { itemId: 'sku-ü-1', score: Math.PI },
          { itemId: '', score: 1e-9 },
        ],
        generatedAt: 1.5,
        freshUntil: 2.25,
        staleUntil: 3.125,
        computeMs: 0.1,
      }),
      makeEntry({ items: [] }),
    ];
    const keys = entries.map((_, index) => userKeys('', `u${index}`, 'v1'));
    await store.writeMany(entries.map((entry, index) => makeWrite(keys[index] as UserKeys, entry)));
    const snapshots = await store.readMany(keys);
    expect(snapshots.map((snapshot) => snapshot.entry)).toEqual(entries);
    // Read again, a list is memoised: later reads get that very value, frozen so no reader can change it for the next.
    const [second] = await store.readMany([keys[0] as UserKeys]);
    const [third] = await store.readMany([keys[0] as UserKeys]);
    expect(second?.entry).toEqual(entries[0]);
    expect(third?.entry).toBe(second?.entry);
    expect(Object.isFrozen(third?.entry?.items[0])).toBe(true);
    // A rewrite is new bytes: read back as written, not as the memoised list.
    const replaced = makeEntry({ items: [{ itemId: 'i8', score: 0.25 }] });
    await store.writeMany([makeWrite(keys[0] as UserKeys, replaced)]);
    const [afterWrite] = await store.readMany([keys[0] as UserKeys]);
    expect(afterWrite?.entry).toEqual(replaced);
  });

  it('keeps decoded only the lists read again soon, and decodes a list read now and then for that read alone', async () => {
    const store = new MemoryStore(64_000_000);
    const hot = userKeys('', 'hot', 'v1');
    const others = Array.from({ length: 5_000 }, (_, index) => userKeys('', `other-${index}`, 'v1'));
    // Distinct lists: the memo is keyed by the bytes, and identical lists would share one memoised value.
    await store.writeMany([
      makeWrite(hot, makeEntry({ label: 'hot' })),
      ...others.map((keys, index) => makeWrite(keys, makeEntry({ label: `o${index}` }))),
    ]);

    // Read twice in a row: memoised from the second read on (the same frozen value each time).
    await store.readMany([hot]);
    const [second] = await store.readMany([hot]);
    const [third] = await store.readMany([hot]);
    expect(third?.entry).toBe(second?.entry);
    expect(Object.isFrozen(second?.entry)).toBe(true);

    // Each of 5,000 other lists read once, after an earlier read 5,000 reads back: none of them is kept.
    for (const keys of others) await store.readMany([keys]);
    const rereads = await store.readMany(others.slice(0, 3));
    rereads.forEach((snapshot, index) => {
      expect(snapshot.entry).toEqual(makeEntry({ label: `o${index}` }));
      expect(Object.isFrozen(snapshot.entry)).toBe(false);
    });
  });

  it('holds a 100-item list in about a kilobyte (packed), not as ~19 KB of decoded objects', async () => {
    const store = new MemoryStore(64_000_000);
    const users = Array.from({ length: 200 }, (_, index) => `user-${index}`);
    for (const user of users) {
      await store.writeMany([
        makeWrite(userKeys('', user, 'v1'), makeEntry({ items: catalogueItems(user.length + users.indexOf(user)) })),
      ]);
    }
    expect(store.size.entries).toBe(200);
    expect(store.size.bytes / 200).toBeLessThan(1_500);
  });

  it('close() empties the store', async () => {
    const store = new MemoryStore(64_000_000);
    const keys = userKeys('', 'u', 'v1');
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.recordPurchase(userKeys('', 'other', 'v1'), purchase('p1'), LIMITS);
    await store.close();
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.entry).toBeUndefined();
  });

  it('judges expiry by its injected clock for the compare-and-set and lease paths', async () => {
    let now = 1_000;
    const store = new MemoryStore(64_000_000, () => now);
    const keys = userKeys('', 'u', 'v1');
    expect(await store.acquireLeases([keys], 'token-1', 100)).toEqual([true]);
    now += 99;
    expect(await store.acquireLeases([keys], 'token-2', 100)).toEqual([false]);
    now += 1;
    expect(await store.acquireLeases([keys], 'token-2', 100)).toEqual([true]);

    await store.recordPurchase(keys, purchase('p1'), { maxRemembered: 3, stateTtlMs: 50 });
    // Still generation 1 just before the state expires: an old-generation write is refused.
    now += 49;
    expect(await store.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 0 })])).toEqual([false]);
    // Once the state has expired, the generation reads as 0 again.
    now += 1;
    expect(await store.writeMany([makeWrite(keys, makeEntry(), { expectedGeneration: 0 })])).toEqual([true]);
  });

  it('judges expiry on reads by its injected clock too, not by the wall clock', async () => {
    const keys = userKeys('', 'u', 'v1');
    const entry = makeEntry();

    // A clock years behind the wall clock: an entry well within its TTL must still be read.
    let past = Date.UTC(2020, 0, 1);
    const behind = new MemoryStore(64_000_000, () => past);
    await behind.writeMany([makeWrite(keys, entry, { ttlMs: 60_000 })]);
    await behind.recordPurchase(userKeys('', 'buyer', 'v1'), purchase('p1'), { maxRemembered: 3, stateTtlMs: 60_000 });
    const [fresh, buyer] = await behind.readMany([keys, userKeys('', 'buyer', 'v1')]);
    expect(fresh?.entry).toEqual(entry);
    expect(buyer?.state.generation).toBe(1);
    past += 60_000;
    const [gone] = await behind.readMany([keys]);
    expect(gone?.entry).toBeUndefined();

    // A clock years ahead: once that clock passes the TTL, the entry is gone although the wall clock has not moved.
    let future = Date.UTC(2040, 0, 1);
    const ahead = new MemoryStore(64_000_000, () => future);
    const other = userKeys('', 'buyer', 'v1');
    await ahead.writeMany([makeWrite(keys, entry, { ttlMs: 100 })]);
    await ahead.recordPurchase(other, purchase('p1'), { maxRemembered: 3, stateTtlMs: 100 });
    const [before, otherBefore] = await ahead.readMany([keys, other]);
    expect(before?.entry).toEqual(entry);
    expect(otherBefore?.state.generation).toBe(1);
    future += 100;
    const [after, otherAfter] = await ahead.readMany([keys, other]);
    expect(after?.entry).toBeUndefined();
    expect(otherAfter?.state.generation).toBe(0);
  });
});
