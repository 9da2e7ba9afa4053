import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';

async function metric(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

const QUERY = 'query ($u: ID!) { recommendations(userId: $u) { source modelVersion items { item { id } } } }';

describe('two gateway processes over one Redis', () => {
  let redis: RedisProcess;
  let gateways: GatewayProcess[];
  beforeAll(async () => {
    redis = await startRedis();
    gateways = await Promise.all([0, 1].map(() => startGatewayProcess({ REDIS_URL: redis.url, LOG_LEVEL: 'warn' })));
    // Warm both processes up (JIT, connections) so the stampede below measures coordination, not a cold start.
    for (let round = 0; round < 20; round += 1) {
      await Promise.all(
        gateways.map((gateway, index) => postGraphQL(gateway.url, QUERY, { u: `warm-${index}-${round % 5}` })),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await redis.stop();
  });

  it('computes a cold user once for 500 concurrent requests spread over both', async () => {
    const computedBefore = await Promise.all(
      gateways.map((gateway) => metric(gateway.origin, 'recs_model_users_total')),
    );
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, index) =>
        postGraphQL((gateways[index % 2] as GatewayProcess).url, QUERY, { u: 'stampede' }),
      ),
    );
    const lists = responses.map((response) => {
      expect(response.body.errors).toBeUndefined();
      return JSON.stringify((response.body.data?.recommendations as { items: unknown }).items);
    });
    expect(new Set(lists).size).toBe(1);
    const computed = await Promise.all(gateways.map((gateway) => metric(gateway.origin, 'recs_model_users_total')));
    expect(computed[0]! + computed[1]! - computedBefore[0]! - computedBefore[1]!).toBe(1);
  });

  it('reflects a purchase handled by one replica on the other at once', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    // Read on B until its near cache answers both keys (the list and the user's state): from then on only Redis'
    // invalidation can tell B about the purchase A takes.
    await postGraphQL(b.url, QUERY, { u: 'buyer' });
    await postGraphQL(b.url, QUERY, { u: 'buyer' });
    const hits = await metric(b.origin, 'recs_redis_near_cache_reads_total{result="hit"}');
    const before = await postGraphQL(b.url, QUERY, { u: 'buyer' });
    expect((before.body.data?.recommendations as { source: string }).source).toBe('CACHE');
    expect(await metric(b.origin, 'recs_redis_near_cache_reads_total{result="hit"}')).toBe(hits + 2);
    const items = (before.body.data?.recommendations as { items: Array<{ item: { id: string } }> }).items;
    const bought = items[0]?.item.id ?? '';
    const purchase = await postGraphQL(
      a.url,
      'mutation ($i: RecordPurchaseInput!) { recordPurchase(input: $i) { invalidated } }',
      { i: { userId: 'buyer', itemId: bought, orderId: 'o-1' } },
    );
    expect(purchase.body.data?.recordPurchase).toEqual({ invalidated: true });
    const after = await postGraphQL(b.url, QUERY, { u: 'buyer' });
    const afterIds = (after.body.data?.recommendations as { items: Array<{ item: { id: string } }> }).items.map(
      (item) => item.item.id,
    );
    expect(afterIds).not.toContain(bought);
    expect(afterIds.length).toBe(20);
  });
});
