/**
 * The reference model server on its own: the protocol's happy paths, 400s for requests that break it, the artificial
 * latency, and its environment (PORT, MODEL_VERSION, MODEL_LATENCY_MS) read with the gateway's rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { loadModelServerConfig } from '../../src/model/server/server-config.js';
import { parseRankResponse } from '../../src/model/protocol.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';

async function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('reference model server', () => {
  let server: InProcessModelServer;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v3', latencyMs: 100 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers rank with one list per user, in order, that the gateway-side check accepts; after the latency', async () => {
    const started = performance.now();
    const { status, json } = await post(`${server.url}/v1/rank`, JSON.stringify({ userIds: ['b', 'a'], limit: 5 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(status).toBe(200);
    const parsed = parseRankResponse(json, ['b', 'a']);
    expect(parsed.modelVersion).toBe('v3');
    expect(
      parsed.lists.map((list) => ('items' in list ? [list.userId, list.modelVersion, list.items.length] : list)),
    ).toEqual([
      ['b', 'v3', 5],
      ['a', 'v3', 5],
    ]);
  });

  it('answers version, records purchases with 204, and excludes the bought item afterwards', async () => {
    expect(await (await fetch(`${server.url}/v1/version`)).json()).toEqual({ modelVersion: 'v3' });
    const before = parseRankResponse((await post(`${server.url}/v1/rank`, '{"userIds":["p"],"limit":3}')).json, ['p']);
    const top =
      before.lists[0] !== undefined && 'items' in before.lists[0] ? before.lists[0].items[0]?.itemId : undefined;
    expect(top).toBeDefined();
    const bought = await post(`${server.url}/v1/purchases`, JSON.stringify({ userId: 'p', itemId: top }));
    expect(bought).toEqual({ status: 204, json: undefined });
    const after = parseRankResponse((await post(`${server.url}/v1/rank`, '{"userIds":["p"],"limit":3}')).json, ['p']);
    expect(
      after.lists[0] !== undefined && 'items' in after.lists[0] && after.lists[0].items.map((item) => item.itemId),
    ).not.toContain(top);
  });

  it.each([
    ['/v1/rank', '{"userIds":"a","limit":5}', 'userIds must be an array'],
    ['/v1/rank', '{"userIds":["a b"],"limit":5}', 'userIds[0] must be a user id'],
    ['/v1/rank', '{"userIds":["a"],"limit":-1}', 'limit must be an integer'],
    ['/v1/rank', '{"userIds":["a"]', ''],
    ['/v1/purchases', '{"userId":"a"}', 'itemId must be a string'],
  ])('refuses %s %s with 400', async (path, body, message) => {
    const { status, json } = await post(`${server.url}${path}`, body);
    expect(status).toBe(400);
    expect(JSON.stringify(json)).toContain(message);
  });
});

describe('model server configuration', () => {
  it('defaults to port 4100, v1, no latency; reads the variables it shares with the gateway by the same rules', () => {
    expect(loadModelServerConfig({})).toMatchObject({
      port: 4100,
      host: '127.0.0.1',
      modelVersion: 'v1',
      latencyMs: 0,
    });
    expect(loadModelServerConfig({ PORT: '5001', MODEL_VERSION: 'v2', MODEL_LATENCY_MS: '50' })).toMatchObject({
      port: 5001,
      modelVersion: 'v2',
      latencyMs: 50,
    });
    // Gateway-only variables are not its business, even when invalid.
    expect(loadModelServerConfig({ CACHE_TTL_SECONDS: 'abc', NODE_ENV: 'production' }).port).toBe(4100);
  });

  it('rejects bad values, naming the variable and the value', () => {
    expect(() => loadModelServerConfig({ MODEL_LATENCY_MS: 'slow' })).toThrow(ConfigError);
    expect(() => loadModelServerConfig({ MODEL_LATENCY_MS: 'slow' })).toThrow(
      'MODEL_LATENCY_MS must be a whole number from 0 to 60000, but got: "slow"',
    );
    expect(() => loadModelServerConfig({ MODEL_VERSION: 'v2}' })).toThrow('MODEL_VERSION');
    expect(() => loadModelServerConfig({ PORT: '70000' })).toThrow('PORT');
  });
});
