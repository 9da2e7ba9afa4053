/**
 * Entry format 2 (packed): exact round trips in every mode, corrupt values read as misses, old format-1 entries and
 * Lua-written user state still read through the Redis store, and the size contract: a 20-item list costs at most
 * 300 bytes of Redis memory (MEMORY USAGE of its key), on a real redis-server started by the harness.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../src/cache/cache-entry.js';
import { decodeStored, encodeEntry, encodeEntryV1 } from '../../src/cache/entry-codec.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import {
  PACKED_PREFIX,
  decodePackedEntry,
  encodePackedEntry,
  quantiseItems,
  quantiseScore,
} from '../../src/cache/packed-entry.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { RankedItem } from '../../src/model/model.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { LIMITS, T0, makeEntry, makeWrite, purchase } from './fixtures.js';

/** A list as the gateway stores it: the built-in model's top `size` for a user, scores quantised, real timings. */
async function realisticEntry(userId: string, size: number): Promise<CacheEntry> {
  const model = new BuiltinModel({ version: 'v1', listSize: 100 });
  const [list] = await model.scoreAndRank([userId], size);
  if (list === undefined || list instanceof Error) throw new Error('the model did not rank');
  const generatedAt = 1_795_771_700_315;
  return {
    modelVersion: 'v1',
    generatedAt,
    freshUntil: generatedAt + 587_342,
    staleUntil: generatedAt + 587_342 + 3_600_000,
    computeMs: 37,
    items: quantiseItems(list.items),
  };
}

describe('format e2: packed entries', () => {
  it('round-trips a realistic 20-item list exactly, in well under 200 characters', async () => {
    const entry = await realisticEntry('user-1234567', 20);
    const encoded = encodeEntry(entry);
    expect(encoded.startsWith(PACKED_PREFIX)).toBe(true);
    expect(encoded.length).toBeLessThan(200);
    expect(decodeStored(encoded)).toEqual({ kind: 'entry', entry });
  });

  it('is well under half of format 1 for the same (quantised) list', async () => {
    const entry = await realisticEntry('user-1', 20);
    expect(encodeEntry(entry).length * 2).toBeLessThan(encodeEntryV1(entry).length);
  });

  it('keeps anything exactly, falling back from each compact form: odd ids, raw scores, fractional times', () => {
    const odd = makeEntry({
      modelVersion: 'v-ünï',
      generatedAt: 0.5,
      computeMs: 3.5,
      items: [
        { itemId: 'ünïcødé "quoted" \\ item', score: -1e-12 },
        { itemId: '', score: Number.MAX_VALUE },
        { itemId: 'i007', score: -0 },
        { itemId: 'i12', score: 0.1 + 0.2 },
      ],
    });
    expect(decodePackedEntry(encodePackedEntry(odd))).toEqual(odd);
    const negative = makeEntry({ generatedAt: -5, freshUntil: -10, staleUntil: -20, computeMs: 0, items: [] });
    expect(decodePackedEntry(encodePackedEntry(negative))).toEqual(negative);
  });

  it('mixes compact forms independently: catalogue ids with raw scores, and quantised scores with other ids', () => {
    const catalogueIds = makeEntry({
      items: [
        { itemId: 'i0', score: Math.PI },
        { itemId: 'i9999999999', score: 1 / 3 },
      ],
    });
    expect(decodePackedEntry(encodePackedEntry(catalogueIds))).toEqual(catalogueIds);
    const otherIds = makeEntry({
      items: [
        { itemId: 'sku-1', score: 2.5 },
        { itemId: 'sku-2', score: -2.000001 },
        { itemId: 'sku-3', score: 7 },
      ],
    });
    expect(decodePackedEntry(encodePackedEntry(otherIds))).toEqual(otherIds);
  });

  it('quantiseScore rounds to six decimals and leaves what cannot be rounded alone', () => {
    expect(quantiseScore(0.12345678901)).toBe(0.123457);
    expect(quantiseScore(-1.0000004)).toBe(-1);
    expect(quantiseScore(3)).toBe(3);
    expect(quantiseScore(Number.MAX_VALUE)).toBe(Number.MAX_VALUE);
    expect(quantiseItems([{ itemId: 'i1', score: 0.9999996 }])).toEqual([{ itemId: 'i1', score: 1 }]);
  });

  describe('anything that does not decode exactly is a miss (undefined), never an error', () => {
    const good = encodePackedEntry(
      makeEntry({
        items: [
          { itemId: 'i1', score: 0.5 },
          { itemId: 'i2', score: 0.25 },
        ],
      }),
    );
    const payload = good.slice(PACKED_PREFIX.length);
    const bytes = Buffer.from(payload, 'base64url');
    const withBytes = (edit: (copy: Buffer) => Buffer): string =>
      PACKED_PREFIX + edit(Buffer.from(bytes)).toString('base64url');

    it.each([
      ['only the prefix', PACKED_PREFIX],
      ['truncated', good.slice(0, -4)],
      ['one character short', good.slice(0, -1)],
      ['a trailing byte', withBytes((copy) => Buffer.concat([copy, Buffer.from([0])]))],
      ['characters outside base64url', `${good.slice(0, 10)}+/=${good.slice(10)}`],
      ['white space inside', `${good.slice(0, 10)} ${good.slice(10)}`],
      ['an unknown flag', withBytes((copy) => ((copy[0] = (copy[0] as number) | 0x80), copy))],
      [
        'a huge item count',
        PACKED_PREFIX + Buffer.from([0x07, 0x02, 0x76, 0x31, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]).toString('base64url'),
      ],
      [
        'an endless varint',
        PACKED_PREFIX +
          Buffer.from([0x07, 0x02, 0x76, 0x31, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).toString(
            'base64url',
          ),
      ],
      [
        'invalid UTF-8 in the model version',
        PACKED_PREFIX + Buffer.from([0x07, 0x02, 0xc3, 0x28, 0, 0, 0, 0, 0]).toString('base64url'),
      ],
      [
        'non-finite raw times',
        PACKED_PREFIX +
          Buffer.concat([Buffer.from([0x00, 0x01, 0x76]), Buffer.alloc(32, 0xff), Buffer.from([0])]).toString(
            'base64url',
          ),
      ],
    ])('%s', (_, raw) => {
      expect(decodeStored(raw)).toBeUndefined();
    });
  });
});

describe('format e2 in Redis (a real redis-server, never the one on 6379)', () => {
  let server: RedisProcess;
  let store: RedisStore;

  beforeAll(async () => {
    server = await startRedis();
    store = new RedisStore({ url: server.url, timeoutMs: 2_000, onError: () => {} });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await server?.stop();
  }, 60_000);

  it('a 20-item list costs at most 300 bytes (MEMORY USAGE of its key), written through the store', async () => {
    const keys = userKeys('', 'user-1234567', 'v1');
    const entry = await realisticEntry('user-1234567', 20);
    expect(await store.writeMany([makeWrite(keys, entry, { ttlMs: 600_000, expectedGeneration: 0 })])).toEqual([true]);
    const bytes = Number(await redisCli(server.port, 'MEMORY', 'USAGE', keys.entry));
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(300);
    // The same list in format 1, for comparison: well over the budget.
    await redisCli(server.port, 'SET', 'recs:{user-1234567}:v1-e1', encodeEntryV1(entry));
    expect(Number(await redisCli(server.port, 'MEMORY', 'USAGE', 'recs:{user-1234567}:v1-e1'))).toBeGreaterThan(300);
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.entry).toEqual(entry);
  });

  it('reads a format-1 entry written by an older release', async () => {
    const keys = userKeys('', 'old-release-user', 'v1');
    const entry = makeEntry({ items: [{ itemId: 'i3', score: 0.123456789012345 }] });
    await redisCli(server.port, 'SET', keys.entry, encodeEntryV1(entry), 'PX', '600000');
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.entry).toEqual(entry);
  });

  it('a corrupt entry reads as a miss, never an error', async () => {
    const keys = userKeys('', 'corrupt-user', 'v1');
    await redisCli(server.port, 'SET', keys.entry, `${PACKED_PREFIX}AAAA!!`, 'PX', '600000');
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.entry).toBeUndefined();
  });

  it('the user state the Lua scripts write (JSON) still works beside packed entries: purchase, then a refused write', async () => {
    const keys = userKeys('', 'buyer', 'v1');
    await store.writeMany([
      makeWrite(keys, makeEntry({ items: [{ itemId: 'i5', score: 0.5 }] }), { expectedGeneration: 0 }),
    ]);
    expect(await store.recordPurchase(keys, purchase('i5', T0), LIMITS)).toBe(true);
    expect(JSON.parse(await redisCli(server.port, 'GET', keys.state))).toEqual({ gen: 1, bought: [['i5', T0]] });
    // A recompute that began before the purchase (generation 0) is refused; one that read generation 1 is written.
    const stale: RankedItem[] = [{ itemId: 'i5', score: 0.5 }];
    expect(await store.writeMany([makeWrite(keys, makeEntry({ items: stale }), { expectedGeneration: 0 })])).toEqual([
      false,
    ]);
    expect(
      await store.writeMany([
        makeWrite(keys, makeEntry({ items: [{ itemId: 'i6', score: 0.4 }] }), { expectedGeneration: 1 }),
      ]),
    ).toEqual([true]);
    const [snapshot] = await store.readMany([keys]);
    expect(snapshot?.state.generation).toBe(1);
    expect(snapshot?.entry?.items).toEqual([{ itemId: 'i6', score: 0.4 }]);
  });
});
