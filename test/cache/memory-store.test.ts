import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { registerStoreContract } from './store-contract.js';
import { LIMITS, makeEntry, makeWrite, purchase } from './fixtures.js';

registerStoreContract('memory', {
  async create() {
    const store = new MemoryStore(10_000);
    return { store, cleanup: async () => store.close() };
  },
});

describe('MemoryStore specifics', () => {
  it('reports its kind', () => {
    expect(new MemoryStore(10).kind).toBe('memory');
  });

  it('is bounded by maxEntries (least recently used goes first)', async () => {
    const store = new MemoryStore(2);
    const a = userKeys('', 'a', 'v1');
    const b = userKeys('', 'b', 'v1');
    const c = userKeys('', 'c', 'v1');
    await store.writeMany([makeWrite(a, makeEntry({ label: 'a' })), makeWrite(b, makeEntry({ label: 'b' }))]);
    await store.writeMany([makeWrite(c, makeEntry({ label: 'c' }))]);
    const snapshots = await store.readMany([a, b, c]);
    expect(snapshots.map((snapshot) => snapshot.entry?.items[0]?.itemId)).toEqual([undefined, 'b-1', 'c-1']);
  });

  it('close() empties the store', async () => {
    const store = new MemoryStore(10);
    const keys = userKeys('', 'u', 'v1');
    await store.writeMany([makeWrite(keys, makeEntry())]);
    await store.recordPurchase(userKeys('', 'other', 'v1'), purchase('p1'), LIMITS);
    await store.close();
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.entry).toBeUndefined();
  });

  it('judges expiry by its injected clock for the compare-and-set and lease paths', async () => {
    let now = 1_000;
    const store = new MemoryStore(10, () => now);
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
    const behind = new MemoryStore(10, () => past);
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
    const ahead = new MemoryStore(10, () => future);
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
