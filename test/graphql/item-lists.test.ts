/**
 * Spliced item lists: a known query of the plain shape runs as a variant without its lists' items, and the items'
 * JSON comes from a memo per cached list (`src/graphql/item-lists/`). What must hold: which documents get a plan, and
 * that the bytes a client receives are exactly those graphql-js through Apollo sends for the same request on the same
 * history, hits, several lists, aliases, `__typename`, and the lists the writer refuses (an item missing from the
 * catalogue), which the operation itself then answers.
 */
import { parse, print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { planItemLists } from '../../src/graphql/item-lists/plan.js';
import { ItemsWriter } from '../../src/graphql/item-lists/writer.js';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { PartlyBrokenModel } from '../support/models.js';
import { bearerToken } from '../security/helpers.js';

const LIST = 'userId modelVersion generatedAt ageSeconds source items { rank score item { id title category } }';
const SINGLE = `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { ${LIST} } }`;

describe('planItemLists: which documents have their items written from the memo', () => {
  it('the usual read: the variant asks the list id where the items were, and one slot says how to write them', () => {
    const plan = planItemLists(parse(SINGLE), 'Read');
    expect(plan?.slots).toEqual([
      {
        rootKey: 'recommendations',
        itemsKey: 'items',
        selection: [
          { key: 'rank', field: 'rank' },
          { key: 'score', field: 'score' },
          {
            key: 'item',
            field: 'item',
            item: [
              { key: 'id', field: 'id' },
              { key: 'title', field: 'title' },
              { key: 'category', field: 'category' },
            ],
          },
        ],
      },
    ]);
    expect(print(plan?.variant ?? parse('{a}'))).toContain('ageSeconds\n    source\n    items: id\n');
  });

  it('several lists under aliases, aliased item fields and __typename: one slot per list with items', () => {
    const plan = planItemLists(
      parse(
        '{ __typename a: recommendations(userId: "u1") { list: items { __typename position: rank item { __typename name: title } } } b: recommendations(userId: "u2") { userId } c: recommendations(userId: "u3") { items { score } again: items { rank } } }',
      ),
      undefined,
    );
    expect(plan?.slots.map((slot) => `${slot.rootKey}.${slot.itemsKey}`)).toEqual(['a.list', 'c.items', 'c.again']);
    expect(plan?.slots[0]?.selection).toEqual([
      { key: '__typename', field: '__typename' },
      { key: 'position', field: 'rank' },
      {
        key: 'item',
        field: 'item',
        item: [
          { key: '__typename', field: '__typename' },
          { key: 'name', field: 'title' },
        ],
      },
    ]);
  });

  it.each([
    [
      'a named fragment',
      '{ recommendations(userId: "u1") { ...L } } fragment L on RecommendationList { items { rank } }',
    ],
    [
      'an inline fragment in the items',
      '{ recommendations(userId: "u1") { items { ... on RecommendedItem { rank } } } }',
    ],
    ['a directive on the items', '{ recommendations(userId: "u1") { items @include(if: true) { rank } } }'],
    ['a directive on the operation', 'query Q @skip(if: false) { recommendations(userId: "u1") { items { rank } } }'],
    ['a response key asked twice (merged by graphql-js)', '{ recommendations(userId: "u1") { items { rank rank } } }'],
    [
      'an item field the writer does not know',
      '{ recommendations(userId: "u1") { items { rank item { id price } } } }',
    ],
    ['a root field other than the lists', '{ recommendations(userId: "u1") { items { rank } } other { id } }'],
    ['no items at all', '{ recommendations(userId: "u1") { userId } }'],
    ['a mutation', 'mutation { recordPurchase(input: {}) { recommendations { items { rank } } } }'],
    ['a __proto__ alias in the items', '{ recommendations(userId: "u1") { items { __proto__: rank score } } }'],
    ['a __proto__ alias of the items', '{ recommendations(userId: "u1") { __proto__: items { rank } } }'],
  ])('no plan for %s', (_name, query) => {
    expect(planItemLists(parse(query), undefined)).toBeUndefined();
  });

  it('the operation graphql-js would run: the one named, the only one, or none when ambiguous', () => {
    const two = parse('query A { __typename } query B { recommendations(userId: "u1") { items { rank } } }');
    expect(planItemLists(two, 'B')).toBeDefined();
    expect(planItemLists(two, 'A')).toBeUndefined();
    expect(planItemLists(two, undefined)).toBeUndefined();
    expect(planItemLists(two, 'C')).toBeUndefined();
  });
});

const SECRET = 'item-lists-secret-of-at-least-32-bytes!!';
/** One instant for both gateways: ages, freshness and generation times are then the same on both, to the byte. */
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

const DOCUMENTS: ReadonlyArray<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: 'the usual read', query: SINGLE, variables: { userId: 's1', first: 20 } },
  { name: 'the usual read, another first', query: SINGLE, variables: { userId: 's1', first: 3 } },
  {
    name: 'several lists, aliases, __typename, a user twice',
    query:
      '{ __typename a: recommendations(userId: "s2", first: 4) { id list: items { __typename position: rank item { __typename name: title id } } source } b: recommendations(userId: "s3") { userId } c: recommendations(userId: "s2", first: 2) { items { score } again: items { rank item { category } } freshUntil } }',
  },
  {
    name: 'an item missing from the catalogue (the writer refuses, the operation answers its error)',
    query: SINGLE,
    variables: { userId: 'ghost-1', first: 5 },
  },
];

describe('spliced answers are the bytes graphql-js sends', () => {
  let jit: InProcessGateway;
  let reference: InProcessGateway;
  let token: string;

  beforeAll(async () => {
    const env = { AUTH_JWT_SECRET: SECRET, NODE_ENV: 'production', MODEL_WORKERS: '0' };
    [jit, reference] = await Promise.all([
      startGateway({ ...env, GRAPHQL_EXECUTOR: 'jit' }, { model: new PartlyBrokenModel(), now: () => NOW }),
      startGateway({ ...env, GRAPHQL_EXECUTOR: 'reference' }, { model: new PartlyBrokenModel(), now: () => NOW }),
    ]);
    token = await bearerToken(SECRET, 'item-lists-reader', 'recommendations:read:any');
  });
  afterAll(async () => {
    await Promise.all([jit.close(), reference.close()]);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const post = async (gateway: InProcessGateway, query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, cacheStatus: response.headers.get('cache-status'), body: await response.text() };
  };
  // Each stored list's TTL is jittered (ttl-policy.ts), so the freshness left differs between the two gateways' lists.
  const withoutFreshness = (answer: Awaited<ReturnType<typeof post>>) => ({
    ...answer,
    cacheStatus: answer.cacheStatus?.replace(/ttl=-?\d+/, 'ttl=<n>'),
    body: answer.body
      .replace(/"freshForSeconds":[-\d.e+]+/g, '"freshForSeconds":"<n>"')
      .replace(/"freshUntil":"[^"]+"/g, '"freshUntil":"<t>"'),
  });

  it.each(DOCUMENTS)('$name', async ({ name, query, variables }) => {
    // First: Apollo runs it on each (a miss, and the document becomes known to the fast path); then the same again.
    for (const gateway of [jit, reference]) await post(gateway, query, variables);
    const written = vi.spyOn(ItemsWriter.prototype, 'json');
    const before = await fastPathOutcomes(jit);
    const fromJit = await post(jit, query, variables);
    const fromReference = await post(reference, query, variables);
    expect(withoutFreshness(fromJit)).toEqual(withoutFreshness(fromReference));
    expect(fromJit.body).not.toContain('~items#');
    const after = await fastPathOutcomes(jit);
    if (name.startsWith('an item missing')) {
      // Refused by the writer, run again as the operation, and its error handed over to Apollo.
      expect(written.mock.results.some((result) => result.value === undefined)).toBe(true);
      expect(after.handed_over - before.handed_over).toBe(1);
      expect(JSON.parse(fromJit.body)).toMatchObject({ errors: [{ path: ['recommendations', 'items', 0, 'item'] }] });
    } else {
      expect(after.served - before.served).toBe(1);
      expect(written).toHaveBeenCalled();
      expect(written.mock.results.every((result) => typeof result.value === 'string')).toBe(true);
    }
  });

  it('a list read again is written once: the second hit takes the very same text from the memo', async () => {
    const variables = { userId: 's4', first: 6 };
    await post(jit, SINGLE, variables);
    const written = vi.spyOn(ItemsWriter.prototype, 'json');
    const first = await post(jit, SINGLE, variables);
    const second = await post(jit, SINGLE, variables);
    expect(first.cacheStatus).toContain('hit');
    expect(second.body).toBe(first.body);
    const [one, two] = written.mock.results.map((result) => result.value as string);
    expect(one).toBeTypeOf('string');
    // Equal text; that the second came from the memo rather than a second write is items-writer.test.ts's to show.
    expect(two).toBe(one);
    expect(
      (JSON.parse(first.body) as { data: { recommendations: { items: unknown[] } } }).data.recommendations.items,
    ).toHaveLength(6);
  });
});
