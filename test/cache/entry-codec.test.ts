import { describe, expect, it } from 'vitest';
import { decodeStored, encodeEntry, encodeEntryV1 } from '../../src/cache/entry-codec.js';
import { makeEntry } from './fixtures.js';

describe('encodeEntry / decodeStored', () => {
  it('round-trips an entry', () => {
    const entry = makeEntry({ modelVersion: 'v2', computeMs: 3.5 });
    expect(decodeStored(encodeEntry(entry))).toEqual({ kind: 'entry', entry });
  });

  it('round-trips an entry with no items, odd ids and extreme scores', () => {
    const empty = makeEntry({ items: [] });
    expect(decodeStored(encodeEntry(empty))).toEqual({ kind: 'entry', entry: empty });
    const odd = makeEntry({
      items: [
        { itemId: 'ünïcødé "quoted" \\ item', score: -1e-12 },
        { itemId: '', score: Number.MAX_VALUE },
        { itemId: '42', score: 0 },
      ],
    });
    expect(decodeStored(encodeEntry(odd))).toEqual({ kind: 'entry', entry: odd });
  });

  it('still reads format e1, as written by releases before format 2', () => {
    const entry = makeEntry({ modelVersion: 'v2', computeMs: 3.5 });
    expect(decodeStored(encodeEntryV1(entry))).toEqual({ kind: 'entry', entry });
  });

  it('writes format e2 (packed, see packed-entry.test.ts)', () => {
    expect(encodeEntry(makeEntry())).toMatch(/^e2:[A-Za-z0-9_-]+$/);
  });

  it('format e1: a tagged array with items flattened as id, score, ...', () => {
    const entry = makeEntry({
      modelVersion: 'v7',
      generatedAt: 1,
      freshUntil: 2,
      staleUntil: 3,
      computeMs: 4,
      items: [
        { itemId: 'a', score: 0.5 },
        { itemId: 'b', score: 0.25 },
      ],
    });
    expect(JSON.parse(encodeEntryV1(entry))).toEqual(['e1', 'v7', 1, 2, 3, 4, ['a', 0.5, 'b', 0.25]]);
  });
});

describe('decodeStored: anything that does not decode is a miss', () => {
  const valid = (): unknown[] => JSON.parse(encodeEntryV1(makeEntry())) as unknown[];
  const withPart = (index: number, value: unknown): string => {
    const parts = valid();
    parts[index] = value;
    return JSON.stringify(parts);
  };

  it.each([
    ['not JSON', 'garbage'],
    ['empty string', ''],
    ['truncated', encodeEntryV1(makeEntry()).slice(0, -3)],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"e1"'],
    ['an empty array', '[]'],
    ['an older format', withPart(0, 'e0')],
    ['a newer format', withPart(0, 'e2')],
    ['an untagged array', JSON.stringify(valid().slice(1))],
    ['a numeric model version', withPart(1, 2)],
    ['a string timestamp', withPart(2, '1700000000000')],
    ['a null freshUntil', withPart(3, null)],
    ['an infinite staleUntil', encodeEntryV1(makeEntry()).replace(',1700000120000,', ',1e999,')],
    ['missing computeMs', JSON.stringify(valid().slice(0, 5))],
    ['items that are not an array', withPart(6, { a: 1 })],
    ['an odd-length item list', withPart(6, ['a', 0.5, 'b'])],
    ['a numeric item id', withPart(6, [7, 0.5])],
    ['a string score', withPart(6, ['a', '0.5'])],
    ['an old Keyv envelope', JSON.stringify({ value: encodeEntryV1(makeEntry()), expires: null })],
    ['an object without gen', '{"bought":[]}'],
    ['a string generation', '{"gen":"1","bought":[]}'],
    ['a null generation', '{"gen":null}'],
  ])('%s', (_, raw) => {
    expect(decodeStored(raw)).toBeUndefined();
  });
});

describe('decodeStored: user state written by the Lua scripts (cjson)', () => {
  it('decodes generation and purchases, most recent first', () => {
    expect(decodeStored('{"gen":3,"bought":[["i9",1700000000002],["i4",1700000000001]]}')).toEqual({
      kind: 'state',
      state: {
        generation: 3,
        bought: [
          { itemId: 'i9', at: 1_700_000_000_002 },
          { itemId: 'i4', at: 1_700_000_000_001 },
        ],
      },
    });
  });

  it("reads cjson's `{}` (an empty Lua table) as no purchases, whatever the key order", () => {
    expect(decodeStored('{"gen":1,"bought":{}}')).toEqual({ kind: 'state', state: { generation: 1, bought: [] } });
    expect(decodeStored('{"bought":{},"gen":1}')).toEqual({ kind: 'state', state: { generation: 1, bought: [] } });
  });

  it('reads a state without purchases at all as no purchases', () => {
    expect(decodeStored('{"gen":5}')).toEqual({ kind: 'state', state: { generation: 5, bought: [] } });
  });

  it('skips malformed purchase pairs and keeps the good ones', () => {
    expect(decodeStored('{"gen":2,"bought":[["ok",5],[1,2],["no-time"],"junk",["fine",6]]}')).toEqual({
      kind: 'state',
      state: {
        generation: 2,
        bought: [
          { itemId: 'ok', at: 5 },
          { itemId: 'fine', at: 6 },
        ],
      },
    });
  });
});
