/**
 * HTTP cache signals over real HTTP: `Cache-Status` (RFC 9211) and `Age` (RFC 9111) when one list was served, and
 * `extensions.recsCache` for every list served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, postGraphQL } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { PURCHASE_WITH_LIST_MUTATION, READ_QUERY } from '../gateway/helpers.js';
import type { RecList } from '../gateway/helpers.js';

interface Signal {
  userId: string;
  source: 'CACHE' | 'MODEL' | 'STALE';
  ageSeconds: number;
  freshForSeconds: number;
  modelVersion: string;
  generatedAt: string;
}

const TTL_SECONDS = 2;

function signalsOf(body: { extensions?: Record<string, unknown> }): Signal[] {
  return (body.extensions?.recsCache ?? []) as Signal[];
}

/** `recs-gateway; hit; ttl=12` → { name, params }. */
function parseCacheStatus(header: string | null): { name: string; params: Record<string, string | true> } {
  expect(header).not.toBeNull();
  const [name, ...rest] = (header as string).split(';').map((part) => part.trim());
  const params: Record<string, string | true> = {};
  for (const part of rest) {
    const [key, value] = part.split('=');
    params[key as string] = value ?? true;
  }
  return { name: name as string, params };
}

describe('Cache-Status, Age and extensions.recsCache', () => {
  let gateway: InProcessGateway;
  // The read path and the store run on this clock: a test moves it past an age or a TTL instead of waiting.
  let nowMs = Date.now();
  const clock = (): number => nowMs;

  beforeAll(async () => {
    // A 2 s TTL with a long grace: a list turns STALE within the test, and is still served.
    gateway = await startGateway(
      {
        CACHE_TTL_SECONDS: String(TTL_SECONDS),
        CACHE_GRACE_SECONDS: '600',
        MODEL_VERSION: 'sig-v1',
      },
      { store: new MemoryStore(undefined, clock), now: clock },
    );
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('a miss: fwd=miss with the fresh lifetime as ttl, Age 0, and one extension entry that matches the list', async () => {
    const response = await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-1' });
    expect(response.status).toBe(200);
    const list = response.body.data?.recommendations as RecList;
    expect(list.source).toBe('MODEL');

    const status = parseCacheStatus(response.headers.get('cache-status'));
    expect(status.name).toBe('recs-gateway');
    expect(status.params.fwd).toBe('miss');
    expect(status.params.hit).toBeUndefined();
    const ttl = Number(status.params.ttl);
    expect(Number.isInteger(ttl)).toBe(true);
    expect(ttl).toBeGreaterThanOrEqual(0);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS);
    expect(response.headers.get('age')).toBe('0');

    expect(signalsOf(response.body)).toEqual([
      {
        userId: 'sig-1',
        source: 'MODEL',
        ageSeconds: list.ageSeconds,
        freshForSeconds: expect.any(Number) as number,
        modelVersion: 'sig-v1',
        generatedAt: list.generatedAt,
      },
    ]);
  });

  it('a hit: hit with the remaining ttl, and Age = whole seconds since the list was generated', async () => {
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-2' });
    nowMs += 1100;
    const response = await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-2' });
    const list = response.body.data?.recommendations as RecList;
    expect(list.source).toBe('CACHE');
    const status = parseCacheStatus(response.headers.get('cache-status'));
    expect(status.params.hit).toBe(true);
    expect(status.params.fwd).toBeUndefined();
    const [signal] = signalsOf(response.body);
    expect(Number(status.params.ttl)).toBe(Math.floor(signal?.freshForSeconds ?? NaN));
    expect(Number(status.params.ttl)).toBeLessThan(TTL_SECONDS);
    expect(response.headers.get('age')).toBe(String(Math.floor(list.ageSeconds)));
    expect(Number(response.headers.get('age'))).toBeGreaterThanOrEqual(1);
    expect(signal).toMatchObject({
      userId: 'sig-2',
      source: 'CACHE',
      ageSeconds: list.ageSeconds,
      generatedAt: list.generatedAt,
    });
  });

  it('past the TTL: fwd=stale with a negative ttl, and Age past the TTL', async () => {
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-3' });
    nowMs += TTL_SECONDS * 1000 + 1200;
    const response = await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-3' });
    const list = response.body.data?.recommendations as RecList;
    expect(list.source).toBe('STALE');
    const status = parseCacheStatus(response.headers.get('cache-status'));
    expect(status.params.fwd).toBe('stale');
    expect(Number(status.params.ttl)).toBeLessThan(0);
    expect(Number(response.headers.get('age'))).toBeGreaterThanOrEqual(TTL_SECONDS + 1);
    expect(signalsOf(response.body)).toMatchObject([{ userId: 'sig-3', source: 'STALE' }]);
    expect(signalsOf(response.body)[0]?.freshForSeconds).toBeLessThan(0);
  });

  it('several lists: no Cache-Status or Age (no single answer), one extension entry per list', async () => {
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-4a' });
    const query = `query Two { a: recommendations(userId: "sig-4a") { userId source } b: recommendations(userId: "sig-4b") { userId source } }`;
    const response = await postGraphQL(gateway.url, query);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-status')).toBeNull();
    expect(response.headers.get('age')).toBeNull();
    const signals = signalsOf(response.body).sort((a, b) => a.userId.localeCompare(b.userId));
    expect(signals.map((signal) => [signal.userId, signal.source])).toEqual([
      ['sig-4a', 'CACHE'],
      ['sig-4b', 'MODEL'],
    ]);
  });

  it('no list served: no headers and no recsCache extension', async () => {
    const response = await postGraphQL(gateway.url, '{ __typename }');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-status')).toBeNull();
    expect(response.headers.get('age')).toBeNull();
    expect(response.body.extensions?.recsCache).toBeUndefined();
  });

  it('a purchase that returns the new list: that list is the one described, a miss', async () => {
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'sig-5' });
    const response = await postGraphQL(gateway.url, PURCHASE_WITH_LIST_MUTATION, {
      input: { userId: 'sig-5', itemId: 'i1', orderId: 'sig-order-5' },
    });
    expect(response.body.errors).toBeUndefined();
    expect(parseCacheStatus(response.headers.get('cache-status')).params.fwd).toBe('miss');
    expect(signalsOf(response.body)).toMatchObject([{ userId: 'sig-5', source: 'MODEL' }]);
  });
});
