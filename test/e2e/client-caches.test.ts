/**
 * The promise holds inside client caches: after a client's own `recordPurchase`, no view of that user's list it has
 * cached shows the bought item, with each client's defaults and the example code of docs/clients.md (`examples/`).
 * Real clients over real HTTP against a real gateway (in-memory store, built-in model).
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createApolloClient,
  readRecommendations,
  recordPurchase,
  recordPurchaseEvictingOtherViews,
} from '../../examples/apollo-client.js';
import { createPersistedQueryClient } from '../../examples/persisted-queries.js';
import { RecommendationsDocument } from '../../examples/generated/graphql.js';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { captureLogs, requestLines } from '../support/log-capture.js';
import { itemIds as ids } from '../gateway/helpers.js';

describe('Apollo Client 4, InMemoryCache and cache-first (the defaults)', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('a first: 5 and a first: 20 view stay apart, and both drop the bought item after the purchase, from the cache', async () => {
    const client = createApolloClient(gateway.url);
    const userId = 'apollo-cache-u1';
    try {
      const top5 = await readRecommendations(client, userId, 5);
      const all = await readRecommendations(client, userId, 20);
      expect(top5.items).toHaveLength(5);
      expect(all.items).toHaveLength(20);
      // The client-preset types map DateTime to string, as it arrives (checked by the typecheck).
      expectTypeOf(top5.freshUntil).toEqualTypeOf<string>();
      expectTypeOf(top5.generatedAt).toEqualTypeOf<string>();
      expect(Date.parse(top5.freshUntil)).toBeGreaterThan(Date.parse(top5.generatedAt));
      // Read again: from the client's cache, each view with its own length (a first: 20 answer never overwrites first: 5).
      expect((await readRecommendations(client, userId, 5)).items).toHaveLength(5);
      expect(await readRecommendations(client, userId)).toEqual(all);

      const bought = top5.items[0]?.item.id ?? '';
      expect(ids(all)).toContain(bought);
      const payload = await recordPurchase(client, { userId, itemId: bought, orderId: 'apollo-cache-order-1' });
      expect(payload.invalidated).toBe(true);

      // cache-first: the views are answered from the client's cache, where the payload's lists replaced them. A
      // network answer would say CACHE (the gateway cached the payload's list); the payload's own lists say MODEL.
      const top5After = await readRecommendations(client, userId, 5);
      const allAfter = await readRecommendations(client, userId, 20);
      const defaultAfter = await readRecommendations(client, userId);
      for (const [view, size] of [
        [top5After, 5],
        [allAfter, 20],
        [defaultAfter, 20],
      ] as const) {
        expect(ids(view)).not.toContain(bought);
        expect(view.items).toHaveLength(size);
        expect(view.source).toBe('MODEL');
        expect(view.generatedAt).toBe(payload.recommendations.generatedAt);
      }
      expect(top5After).toEqual(payload.top5);
      expect(allAfter).toEqual(payload.recommendations);
    } finally {
      client.stop();
    }
  });

  it('a watched view updates itself when the purchase answers, with no refetch', async () => {
    const client = createApolloClient(gateway.url);
    const userId = 'apollo-cache-u2';
    try {
      const seen: string[][] = [];
      const watched = client.watchQuery({ query: RecommendationsDocument, variables: { userId, first: 5 } });
      const subscription = watched.subscribe((result) => {
        // Complete results only: `dataState` is 'partial' or 'streaming' while a result is incomplete.
        if (result.dataState === 'complete') seen.push(ids(result.data.recommendations));
      });
      await expect.poll(() => seen.length).toBe(1);
      const bought = seen[0]?.[0] ?? '';
      await recordPurchase(client, { userId, itemId: bought, orderId: 'apollo-cache-order-2' });
      await expect.poll(() => seen.length).toBe(2);
      expect(seen[1]).not.toContain(bought);
      expect(seen[1]).toHaveLength(5);
      subscription.unsubscribe();
    } finally {
      client.stop();
    }
  });

  it("a view the purchase does not return (first: 10) is evicted by the guide's update function and read again", async () => {
    const client = createApolloClient(gateway.url);
    const userId = 'apollo-cache-u3';
    try {
      const ten = await readRecommendations(client, userId, 10);
      await readRecommendations(client, userId, 5);
      await readRecommendations(client, userId);
      const other = await readRecommendations(client, 'apollo-cache-bystander', 10);
      const bought = ten.items[0]?.item.id ?? '';
      const payload = await recordPurchaseEvictingOtherViews(client, {
        userId,
        itemId: bought,
        orderId: 'apollo-cache-order-3',
      });

      const tenAfter = await readRecommendations(client, userId, 10);
      expect(ids(tenAfter)).not.toContain(bought);
      expect(tenAfter.items).toHaveLength(10);
      // Read from the gateway (which cached the payload's list), not from the client's cache.
      expect(tenAfter.source).toBe('CACHE');
      expect(tenAfter.generatedAt).toBe(payload.recommendations.generatedAt);
      // The views the payload returned, and other users' views, were kept in the cache.
      expect(await readRecommendations(client, userId, 5)).toEqual(payload.top5);
      expect(await readRecommendations(client, userId)).toEqual(payload.recommendations);
      expect(await readRecommendations(client, 'apollo-cache-bystander', 10)).toEqual(other);
    } finally {
      client.stop();
    }
  });

  it("the example operations are answered by the fast path once known (Apollo Client's clientLibrary extension included)", async () => {
    const warm = createApolloClient(gateway.url);
    await readRecommendations(warm, 'apollo-fast-u0', 5);
    warm.stop();
    const before = await fastPathOutcomes(gateway);
    for (let index = 1; index <= 3; index++) {
      const client = createApolloClient(gateway.url);
      await readRecommendations(client, `apollo-fast-u${index}`, 5);
      client.stop();
    }
    const after = await fastPathOutcomes(gateway);
    expect(after.served - before.served).toBe(3);
    expect(after.passed - before.passed).toBe(0);
  });
});

describe('Apollo Client with automatic persisted queries over GET', () => {
  it('registers a query once, then sends only its hash as a GET', async () => {
    const logs = captureLogs('info');
    const gateway = await startGateway({ LOG_LEVEL: 'info' }, { logger: logs.logger });
    try {
      const first = createPersistedQueryClient(gateway.url);
      const registered = await readRecommendations(first, 'apq-u1', 5);
      first.stop();
      const second = createPersistedQueryClient(gateway.url);
      const again = await readRecommendations(second, 'apq-u1', 5);
      second.stop();
      expect(again.items).toEqual(registered.items);
      expect(again.source).toBe('CACHE');
      const lines = requestLines(logs.lines()).filter((line) => line.path === '/graphql');
      // First client: hash-only GET (unknown), then the text once; second client: one hash-only GET.
      expect(lines.map((line) => line.method)).toEqual(['GET', 'POST', 'GET']);
      expect(lines.map((line) => line.status)).toEqual([200, 200, 200]);
    } finally {
      await gateway.close();
    }
  });
});
