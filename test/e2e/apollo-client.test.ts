import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import type { TypedDocumentNode } from '@apollo/client';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { itemIds } from '../gateway/helpers.js';

/**
 * End to end through the client the web and mobile apps use: Apollo Client 4 over real HTTP against a real
 * gateway (in-memory store, built-in model v1). Covers the read path (MODEL, then CACHE), the purchase path
 * (invalidate, fresh list without the bought item) and how a bad argument reaches the client.
 */

interface ListItem {
  readonly rank: number;
  readonly score: number;
  readonly item: { readonly id: string; readonly title: string; readonly category: string };
}

interface RecommendationsData {
  readonly recommendations: {
    readonly userId: string;
    readonly modelVersion: string;
    readonly generatedAt: string;
    readonly ageSeconds: number;
    readonly source: 'CACHE' | 'MODEL' | 'STALE';
    readonly items: readonly ListItem[];
  };
}

interface RecommendationsVariables {
  readonly userId: string;
  readonly first?: number;
  // Index signature so the type satisfies Apollo's OperationVariables.
  readonly [name: string]: unknown;
}

interface RecordPurchaseData {
  readonly recordPurchase: {
    readonly userId: string;
    readonly itemId: string;
    readonly orderId: string;
    readonly invalidated: boolean;
    readonly recommendations: {
      readonly source: 'CACHE' | 'MODEL' | 'STALE';
      readonly items: ReadonlyArray<{ readonly item: { readonly id: string } }>;
    };
  };
}

interface RecordPurchaseVariables {
  readonly input: { readonly userId: string; readonly itemId: string; readonly orderId: string };
  readonly [name: string]: unknown;
}

const RECOMMENDATIONS: TypedDocumentNode<RecommendationsData, RecommendationsVariables> = gql`
  query Recommendations($userId: ID!, $first: Int) {
    recommendations(userId: $userId, first: $first) {
      userId
      modelVersion
      generatedAt
      ageSeconds
      source
      items {
        rank
        score
        item {
          id
          title
          category
        }
      }
    }
  }
`;

// No $first variable: the schema's default (20) applies.
const RECOMMENDATIONS_DEFAULT_FIRST: TypedDocumentNode<RecommendationsData, RecommendationsVariables> = gql`
  query RecommendationsDefaultFirst($userId: ID!) {
    recommendations(userId: $userId) {
      userId
      modelVersion
      generatedAt
      ageSeconds
      source
      items {
        rank
        score
        item {
          id
          title
          category
        }
      }
    }
  }
`;

const RECORD_PURCHASE: TypedDocumentNode<RecordPurchaseData, RecordPurchaseVariables> = gql`
  mutation RecordPurchase($input: RecordPurchaseInput!) {
    recordPurchase(input: $input) {
      userId
      itemId
      orderId
      invalidated
      recommendations {
        source
        items {
          item {
            id
          }
        }
      }
    }
  }
`;

function newClient(url: string): ApolloClient {
  return new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
}

/** Asserts the invariants every served list holds, whatever its source. */
function expectWellFormedList(list: RecommendationsData['recommendations'], userId: string, size: number): void {
  expect(list.userId).toBe(userId);
  expect(list.modelVersion).toBe('v1');
  expect(list.items).toHaveLength(size);
  expect(list.items.map((entry) => entry.rank)).toEqual(Array.from({ length: size }, (_, index) => index + 1));
  for (let index = 1; index < list.items.length; index++) {
    const previous = list.items[index - 1];
    const current = list.items[index];
    expect(current?.score).toBeLessThanOrEqual(previous?.score ?? Number.NaN);
  }
  for (const entry of list.items) {
    expect(Number.isFinite(entry.score)).toBe(true);
    expect(entry.item.id).toMatch(/\S/);
    expect(entry.item.title).toMatch(/\S/);
    expect(entry.item.category).toMatch(/\S/);
  }
  expect(new Set(itemIds(list)).size).toBe(size);
  // DateTime is an ISO-8601 UTC string on the wire.
  expect(list.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  const generatedAt = Date.parse(list.generatedAt);
  expect(Number.isNaN(generatedAt)).toBe(false);
  expect(generatedAt).toBeLessThanOrEqual(Date.now() + 1_000);
  expect(generatedAt).toBeGreaterThan(Date.now() - 5 * 60_000);
  expect(list.ageSeconds).toBeGreaterThanOrEqual(0);
}

describe('Apollo Client 4 against a real gateway', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('reads MODEL then CACHE, and a purchase removes the bought item at once', async () => {
    const client = newClient(gateway.url);
    const userId = 'apollo-client-u1';
    try {
      const first = await client.query({ query: RECOMMENDATIONS_DEFAULT_FIRST, variables: { userId } });
      expect(first.error).toBeUndefined();
      const miss = first.data?.recommendations;
      if (miss === undefined) throw new Error('first query returned no data');
      expect(miss.source).toBe('MODEL');
      expectWellFormedList(miss, userId, 20);

      const second = await client.query({
        query: RECOMMENDATIONS_DEFAULT_FIRST,
        variables: { userId },
        fetchPolicy: 'network-only',
      });
      const hit = second.data?.recommendations;
      if (hit === undefined) throw new Error('second query returned no data');
      expect(hit.source).toBe('CACHE');
      expectWellFormedList(hit, userId, 20);
      expect(hit.items).toEqual(miss.items);
      expect(hit.generatedAt).toBe(miss.generatedAt);
      expect(hit.ageSeconds).toBeGreaterThanOrEqual(miss.ageSeconds);

      const top = miss.items[0]?.item.id;
      if (top === undefined) throw new Error('list has no top item');
      const purchase = await client.mutate({
        mutation: RECORD_PURCHASE,
        variables: { input: { userId, itemId: top, orderId: 'order-apollo-1' } },
      });
      expect(purchase.error).toBeUndefined();
      const payload = purchase.data?.recordPurchase;
      if (payload === undefined) throw new Error('mutation returned no data');
      expect(payload.userId).toBe(userId);
      expect(payload.itemId).toBe(top);
      expect(payload.orderId).toBe('order-apollo-1');
      expect(payload.invalidated).toBe(true);
      expect(payload.recommendations.source).toBe('MODEL');
      expect(payload.recommendations.items.length).toBeGreaterThan(0);
      expect(itemIds(payload.recommendations)).not.toContain(top);

      const after = await client.query({
        query: RECOMMENDATIONS_DEFAULT_FIRST,
        variables: { userId },
        fetchPolicy: 'network-only',
      });
      const afterList = after.data?.recommendations;
      if (afterList === undefined) throw new Error('query after purchase returned no data');
      expectWellFormedList(afterList, userId, 20);
      expect(itemIds(afterList)).not.toContain(top);
      // The list the mutation computed is the one now cached and served.
      expect(afterList.source).toBe('CACHE');
      expect(itemIds(afterList)).toEqual(itemIds(payload.recommendations).slice(0, 20));
    } finally {
      client.stop();
    }
  });

  it('honours first: 5', async () => {
    const client = newClient(gateway.url);
    try {
      const result = await client.query({
        query: RECOMMENDATIONS,
        variables: { userId: 'apollo-client-u2', first: 5 },
      });
      const list = result.data?.recommendations;
      if (list === undefined) throw new Error('query returned no data');
      expectWellFormedList(list, 'apollo-client-u2', 5);
    } finally {
      client.stop();
    }
  });

  it('surfaces a bad argument as BAD_USER_INPUT through the client', async () => {
    const client = newClient(gateway.url);
    try {
      let caught: unknown;
      try {
        await client.query({
          query: RECOMMENDATIONS,
          variables: { userId: 'apollo-client-u3', first: 0 },
          fetchPolicy: 'network-only',
        });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeDefined();
      expect(CombinedGraphQLErrors.is(caught)).toBe(true);
      if (!CombinedGraphQLErrors.is(caught)) throw new Error(`expected CombinedGraphQLErrors, got ${String(caught)}`);
      expect(caught.errors).toHaveLength(1);
      const [error] = caught.errors;
      expect(error?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(error?.extensions?.['argumentName']).toBe('first');
      expect(error?.message).toMatch(/first must be a whole number from 1 to \d+, but got: 0/);
      expect(error?.path).toEqual(['recommendations']);

      // errorPolicy 'all' hands back the same error on the result instead of throwing.
      const result = await client.query({
        query: RECOMMENDATIONS,
        variables: { userId: 'apollo-client-u3', first: 0 },
        fetchPolicy: 'network-only',
        errorPolicy: 'all',
      });
      expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
      if (!CombinedGraphQLErrors.is(result.error)) throw new Error('expected CombinedGraphQLErrors on the result');
      expect(result.error.errors[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      // recommendations is non-null, so the error nulls the whole data.
      expect(result.data ?? null).toBeNull();

      // A malformed id in the mutation's input is refused the same way.
      let mutationError: unknown;
      try {
        await client.mutate({
          mutation: RECORD_PURCHASE,
          variables: { input: { userId: 'apollo client u3', itemId: 'i1', orderId: 'o1' } },
        });
      } catch (error) {
        mutationError = error;
      }
      if (!CombinedGraphQLErrors.is(mutationError))
        throw new Error(`expected CombinedGraphQLErrors, got ${String(mutationError)}`);
      expect(mutationError.errors[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(mutationError.errors[0]?.extensions?.['argumentName']).toBe('input.userId');
    } finally {
      client.stop();
    }
  });
});
