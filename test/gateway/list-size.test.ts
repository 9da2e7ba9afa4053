/**
 * `first` and RECS_LIST_SIZE agree whatever the setting: a query that leaves `first` out gets min(20, list size)
 * items, the payload's list takes the same `first` with the same default, and each list's id names its view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';

interface List {
  readonly id: string;
  readonly userId: string;
  readonly items: ReadonlyArray<{ readonly item: { readonly id: string } }>;
}

const READ =
  'query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { id userId items { item { id } } } }';
const READ_DEFAULT =
  'query ReadDefault($userId: ID!) { recommendations(userId: $userId) { id userId items { item { id } } } }';
const BUY = `mutation Buy($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    recommendations { id userId items { item { id } } }
    top3: recommendations(first: 3) { id userId items { item { id } } }
  }
}`;

function data<T>(body: GraphQLBody): T {
  expect(body.errors).toBeUndefined();
  return body.data as T;
}

describe.each([
  { listSize: '7', expected: 7 },
  { listSize: '100', expected: 20 },
])('RECS_LIST_SIZE=$listSize', ({ listSize, expected }) => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({ RECS_LIST_SIZE: listSize });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it(`a query without first gets ${expected} items, with the same id as first: ${expected}`, async () => {
    const implicit = data<{ recommendations: List }>(
      (await postGraphQL(gateway.url, READ_DEFAULT, { userId: 'ls-1' })).body,
    );
    expect(implicit.recommendations.items).toHaveLength(expected);
    const explicit = data<{ recommendations: List }>(
      (await postGraphQL(gateway.url, READ, { userId: 'ls-1', first: expected })).body,
    );
    expect(explicit.recommendations.id).toBe(implicit.recommendations.id);
    const three = data<{ recommendations: List }>(
      (await postGraphQL(gateway.url, READ, { userId: 'ls-1', first: 3 })).body,
    );
    expect(three.recommendations.id).not.toBe(implicit.recommendations.id);
    expect(three.recommendations.items).toHaveLength(3);
  });

  it('the payload list takes first with the same default, and its ids match the query views', async () => {
    const before = data<{ recommendations: List }>(
      (await postGraphQL(gateway.url, READ_DEFAULT, { userId: 'ls-2' })).body,
    );
    const three = data<{ recommendations: List }>(
      (await postGraphQL(gateway.url, READ, { userId: 'ls-2', first: 3 })).body,
    );
    const bought = before.recommendations.items[0]?.item.id ?? '';
    const { body } = await postGraphQL(gateway.url, BUY, {
      input: { userId: 'ls-2', itemId: bought, orderId: `ls-order-${listSize}` },
    });
    const payload = data<{ recordPurchase: { recommendations: List; top3: List } }>(body).recordPurchase;
    expect(payload.recommendations.items).toHaveLength(expected);
    expect(payload.recommendations.id).toBe(before.recommendations.id);
    expect(payload.top3.items).toHaveLength(3);
    expect(payload.top3.id).toBe(three.recommendations.id);
    for (const list of [payload.recommendations, payload.top3])
      expect(list.items.map((entry) => entry.item.id)).not.toContain(bought);
  });

  it('first above the list size is refused on both fields, naming the range', async () => {
    const tooMany = Number(listSize) + 1;
    const read = await postGraphQL(gateway.url, READ, { userId: 'ls-3', first: tooMany });
    expect(read.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(read.body.errors?.[0]?.message).toBe(
      `first must be a whole number from 1 to ${listSize}, but got: ${tooMany}`,
    );
    const buy = await postGraphQL(
      gateway.url,
      'mutation($input: RecordPurchaseInput!, $first: Int) { recordPurchase(input: $input) { recommendations(first: $first) { id } } }',
      { input: { userId: 'ls-3', itemId: 'i1', orderId: `ls-order-3-${listSize}` }, first: tooMany },
    );
    expect(buy.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(buy.body.errors?.[0]?.message).toBe(
      `first must be a whole number from 1 to ${listSize}, but got: ${tooMany}`,
    );
    // Refused before anything is recorded (a BAD_USER_INPUT says "do not retry", so it must not hide a recorded
    // purchase): the error is the mutation field's, and the same order then records normally.
    expect(buy.body.errors?.[0]?.path).toEqual(['recordPurchase']);
    const retry = await postGraphQL(
      gateway.url,
      'mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { duplicate } }',
      { input: { userId: 'ls-3', itemId: 'i1', orderId: `ls-order-3-${listSize}` } },
    );
    expect(retry.body.data).toEqual({ recordPurchase: { duplicate: false } });
  });
});
