/**
 * The embedded store's size in /metrics, over real HTTP: a gateway without Redis, its bound set by
 * MEMORY_STORE_MAX_BYTES, reports the bytes and keys it holds as reads fill it, and never more bytes than the bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, postGraphQL } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { READ_QUERY } from '../gateway/helpers.js';

const MAX_BYTES = 1024 * 1024;

describe('recs_memory_store_bytes and recs_memory_store_entries', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      MEMORY_STORE_MAX_BYTES: String(MAX_BYTES),
      RATE_LIMIT_COMPUTES_PER_MINUTE: '100000',
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('grow as lists are cached, and stay within the configured bound', async () => {
    const before = await scrape(gateway.origin);
    const bytesBefore = sumOf(before, 'recs_memory_store_bytes', {});
    const entriesBefore = sumOf(before, 'recs_memory_store_entries', {});
    for (let index = 0; index < 20; index++) {
      const response = await postGraphQL(gateway.url, READ_QUERY, { userId: `mem-${index}` });
      expect(response.status).toBe(200);
    }
    const after = await scrape(gateway.origin);
    const entries = sumOf(after, 'recs_memory_store_entries', {});
    const bytes = sumOf(after, 'recs_memory_store_bytes', {});
    expect(entries - entriesBefore).toBeGreaterThanOrEqual(20);
    // Twenty default-sized (100-item) lists, packed: well under 1 KB each, but not nothing.
    expect(bytes - bytesBefore).toBeGreaterThan(20 * 300);
    expect(bytes - bytesBefore).toBeLessThan(20 * 1_500);
    expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
  });

  it('do not go past the bound however many users are read', async () => {
    // About 1,200 lists fit in 1 MiB; read more than that in batches.
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, index) =>
          postGraphQL(gateway.url, READ_QUERY, { userId: `fill-${batch}-${index}` }),
        ),
      );
    }
    const samples = await scrape(gateway.origin);
    const bytes = sumOf(samples, 'recs_memory_store_bytes', {});
    expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
    // Full, and full because older lists were let go: 1,520 lists read (each with the recompute lease its write
    // keeps until it lapses), fewer held; the first list read is gone and is computed again.
    expect(bytes).toBeGreaterThan(MAX_BYTES * 0.7);
    expect(sumOf(samples, 'recs_memory_store_entries', {})).toBeLessThan(2 * 1_520);
    const again = await postGraphQL(
      gateway.url,
      'query ($userId: ID!) { recommendations(userId: $userId) { source } }',
      { userId: 'fill-0-0' },
    );
    expect((again.body.data?.recommendations as { source: string }).source).toBe('MODEL');
  });
});
