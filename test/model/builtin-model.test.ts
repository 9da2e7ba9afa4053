import { describe, it, expect } from 'vitest';
import { createCatalog } from '../../src/model/catalog.js';
import { BuiltinModel, deriveUserTaste, deriveVersionWeights, rankForUser } from '../../src/model/builtin-model.js';
import type { RankedList } from '../../src/model/model.js';
import { FAST_SHARE, userPace } from '../../src/model/drift.js';
import { rboDistance } from '../../src/freshness/rbo.js';

// Built once: the full 10k catalogue is what production uses, and building it per test would dominate run time.
const catalog = createCatalog();

async function rankOne(model: BuiltinModel, userId: string, limit: number): Promise<RankedList> {
  const [result] = await model.scoreAndRank([userId], limit);
  if (result === undefined || result instanceof Error) throw new Error(`no ranked list for ${userId}`);
  return result;
}

const idsOf = (list: RankedList): string[] => list.items.map((item) => item.itemId);

describe('BuiltinModel.scoreAndRank', () => {
  it('returns one list per user, in request order, labelled with the version', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const userIds = ['carol', 'alice', 'bob', 'alice'];
    const results = await model.scoreAndRank(userIds, 10);
    expect(results).toHaveLength(userIds.length);
    results.forEach((result, position) => {
      expect(result).not.toBeInstanceOf(Error);
      const list = result as RankedList;
      expect(list.userId).toBe(userIds[position]);
      expect(list.modelVersion).toBe('v1');
    });
    expect(results[3]).toEqual(results[1]);
    expect(model.currentVersion()).toBe('v1');
  });

  it('returns scores in descending order, with distinct catalogue items', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    for (const userId of ['alice', 'bob', 'u-42']) {
      const list = await rankOne(model, userId, 50);
      for (let i = 1; i < list.items.length; i++) {
        expect(list.items[i - 1]?.score ?? -Infinity).toBeGreaterThanOrEqual(list.items[i]?.score ?? Infinity);
      }
      expect(new Set(idsOf(list)).size).toBe(list.items.length);
      for (const id of idsOf(list)) expect(catalog.get(id)).toBeDefined();
    }
  });

  it('honours limit, and clamps it to listSize', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog, listSize: 30 });
    expect((await rankOne(model, 'alice', 7)).items).toHaveLength(7);
    expect((await rankOne(model, 'alice', 0)).items).toHaveLength(0);
    expect((await rankOne(model, 'alice', 500)).items).toHaveLength(30);
  });

  it('rejects a negative or fractional limit', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    await expect(model.scoreAndRank(['alice'], -1)).rejects.toThrow(RangeError);
    await expect(model.scoreAndRank(['alice'], 2.5)).rejects.toThrow(RangeError);
  });

  it('a shorter list is a prefix of a longer one', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const short = await rankOne(model, 'dave', 5);
    const long = await rankOne(model, 'dave', 40);
    expect(long.items.slice(0, 5)).toEqual(short.items);
  });

  it('gives different users different lists', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const alice = idsOf(await rankOne(model, 'alice', 20));
    const bob = idsOf(await rankOne(model, 'bob', 20));
    expect(alice).not.toEqual(bob);
    const shared = alice.filter((id) => bob.includes(id));
    expect(shared.length).toBeLessThan(15);
  });

  it('ranks identically for two instances of the same version', async () => {
    const first = await rankOne(new BuiltinModel({ version: 'v1', catalog }), 'alice', 20);
    const second = await rankOne(new BuiltinModel({ version: 'v1', catalog: createCatalog() }), 'alice', 20);
    expect(second).toEqual(first);
  });

  it('ranks differently under another version', async () => {
    const v1 = await rankOne(new BuiltinModel({ version: 'v1', catalog }), 'alice', 20);
    const v2 = await rankOne(new BuiltinModel({ version: 'v2', catalog }), 'alice', 20);
    expect(v2.modelVersion).toBe('v2');
    expect(idsOf(v2)).not.toEqual(idsOf(v1));
  });
});

describe('BuiltinModel.recordPurchase', () => {
  it('excludes a bought item and changes the list', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const before = await rankOne(model, 'alice', 20);
    const bought = before.items[0]?.itemId ?? '';
    await model.recordPurchase('alice', bought);
    const after = await rankOne(model, 'alice', 20);
    expect(idsOf(after)).not.toContain(bought);
    expect(after.items).toHaveLength(20);
    expect(idsOf(after)).not.toEqual(idsOf(before));
  });

  it('pulls taste towards what was bought', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const countBooks = (list: RankedList): number =>
      list.items.filter((item) => catalog.get(item.itemId)?.category === 'books').length;
    const before = await rankOne(model, 'erin', 20);
    const books: string[] = [];
    for (let i = 0; i < catalog.size && books.length < 5; i++) {
      const item = catalog.itemAt(i);
      if (item.category === 'books' && !idsOf(before).includes(item.id)) books.push(item.id);
    }
    for (const id of books) await model.recordPurchase('erin', id);
    const after = await rankOne(model, 'erin', 20);
    expect(countBooks(after)).toBeGreaterThanOrEqual(countBooks(before) + 5);
    for (const id of books) expect(idsOf(after)).not.toContain(id);
  });

  it('ignores unknown item ids for taste', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const before = await rankOne(model, 'frank', 20);
    await model.recordPurchase('frank', 'not-in-catalogue');
    expect(await rankOne(model, 'frank', 20)).toEqual(before);
  });

  it('affects only the buyer', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog });
    const bobBefore = await rankOne(model, 'bob', 20);
    await model.recordPurchase('alice', bobBefore.items[0]?.itemId ?? '');
    expect(await rankOne(model, 'bob', 20)).toEqual(bobBefore);
  });

  it('close() resolves', async () => {
    await expect(new BuiltinModel({ version: 'v1', catalog }).close()).resolves.toBeUndefined();
  });
});

describe('BuiltinModel drift', () => {
  const T = 1_764_000_000_000;
  const HOUR = 3_600_000;
  const drifting = (clock: { now: number }, version = 'v1') =>
    new BuiltinModel({ version, catalog, drift: { clock: () => clock.now } });
  const distance = (a: RankedList, b: RankedList): number => rboDistance(idsOf(a), idsOf(b), 20);

  it('is deterministic for a model version, a user and a clock reading, across instances', async () => {
    const clock = { now: T + 5 * HOUR };
    const first = await rankOne(drifting(clock), 'alice', 20);
    const second = await rankOne(drifting({ now: T + 5 * HOUR }), 'alice', 20);
    expect(second).toEqual(first);
    expect(await rankOne(drifting(clock), 'alice', 20)).toEqual(first);
  });

  it('moves a ranking with the clock, and leaves a model without drift where it was', async () => {
    const clock = { now: T };
    const model = drifting(clock);
    const still = new BuiltinModel({ version: 'v1', catalog });
    const before = await rankOne(model, 'alice', 20);
    const stillBefore = await rankOne(still, 'alice', 20);
    clock.now += 24 * HOUR;
    expect(distance(before, await rankOne(model, 'alice', 20))).toBeGreaterThan(0.1);
    expect(await rankOne(still, 'alice', 20)).toEqual(stillBefore);
  });

  it('drifts at a per-user pace: most users slowly, about a fifth fast, and fast users move further in the same time', async () => {
    const users = Array.from({ length: 2_000 }, (_, index) => `pace-${index}`);
    const fast = users.filter((userId) => userPace(userId) >= 1);
    expect(fast.length / users.length).toBeGreaterThan(FAST_SHARE - 0.03);
    expect(fast.length / users.length).toBeLessThan(FAST_SHARE + 0.03);
    const slow = users.filter((userId) => userPace(userId) < 0.1).slice(0, 20);
    const clock = { now: T };
    const model = drifting(clock);
    const meanDistance = async (sample: readonly string[]): Promise<number> => {
      clock.now = T;
      const before = (await model.scoreAndRank(sample, 20)) as RankedList[];
      clock.now = T + 10 * 60_000;
      const after = (await model.scoreAndRank(sample, 20)) as RankedList[];
      return before.reduce((sum, list, index) => sum + distance(list, after[index] as RankedList), 0) / sample.length;
    };
    const fastDrift = await meanDistance(fast.slice(0, 20));
    const slowDrift = await meanDistance(slow);
    expect(fastDrift).toBeGreaterThan(0.25);
    expect(slowDrift).toBeLessThan(0.05);
  });

  it('shifts popularity for everyone: the version trend moves users who would otherwise stand still', () => {
    const weights = deriveVersionWeights(catalog, 'v1');
    const without = deriveUserTaste('alice', weights, [], T);
    const later = deriveUserTaste('alice', weights, [], T + 12 * HOUR);
    expect(Array.from(later)).not.toEqual(Array.from(without));
  });

  it('still excludes bought items and pulls taste towards them', async () => {
    const clock = { now: T };
    const model = drifting(clock);
    const before = await rankOne(model, 'erin', 20);
    const bought = before.items[0]?.itemId ?? '';
    await model.recordPurchase('erin', bought);
    expect(idsOf(await rankOne(model, 'erin', 20))).not.toContain(bought);
  });
});

describe('rankForUser', () => {
  const weights = deriveVersionWeights(catalog, 'v1');

  it('matches a full sort of every item score', () => {
    const purchasedIndices = [3, 17, 4242];
    const taste = deriveUserTaste('grace', weights, purchasedIndices);
    const all: Array<{ index: number; score: number }> = [];
    for (let item = 0; item < weights.itemCount; item++) {
      if (purchasedIndices.includes(item)) continue;
      let score = weights.itemBias[item] ?? 0;
      for (let d = 0; d < weights.dims; d++) {
        score += (taste[d] ?? 0) * (weights.itemFactors[item * weights.dims + d] ?? 0);
      }
      all.push({ index: item, score });
    }
    all.sort((a, b) => b.score - a.score || a.index - b.index);

    const ranked = rankForUser({ userId: 'grace', weights, purchasedIndices, limit: 25 });
    expect(Array.from(ranked.itemIndices)).toEqual(all.slice(0, 25).map((entry) => entry.index));
    expect(Array.from(ranked.scores)).toEqual(all.slice(0, 25).map((entry) => entry.score));
  });

  it('returns every remaining item when limit exceeds the catalogue', () => {
    const small = createCatalog({ size: 12 });
    const smallWeights = deriveVersionWeights(small, 'v1');
    const ranked = rankForUser({ userId: 'heidi', weights: smallWeights, purchasedIndices: [0, 5], limit: 100 });
    expect(ranked.itemIndices).toHaveLength(10);
    expect(Array.from(ranked.itemIndices)).not.toContain(0);
    expect(Array.from(ranked.itemIndices)).not.toContain(5);
  });

  it('works on structured-cloned weights, as a worker thread would receive them', () => {
    const direct = rankForUser({ userId: 'ivan', weights, purchasedIndices: [], limit: 10 });
    const cloned = rankForUser({ userId: 'ivan', weights: structuredClone(weights), purchasedIndices: [], limit: 10 });
    expect(cloned).toEqual(direct);
  });
});
