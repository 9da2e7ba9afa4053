/**
 * CORS for web clients (`CORS_ORIGINS`), over real HTTP with a browser's preflight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { READ_QUERY } from '../gateway/helpers.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const ALLOWED = 'https://shop.example.com';
const ALSO_ALLOWED = 'http://localhost:5173';
const OTHER = 'https://evil.example.net';

/** The preflight a browser sends before a cross-origin JSON POST. */
function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
}

function crossOriginPost(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ query: READ_QUERY, variables: { userId: 'cors-1' } }),
  });
}

describe('CORS_ORIGINS set', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({ CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('a preflight from a listed origin is allowed: origin echoed, POST allowed, requested headers allowed', async () => {
    for (const origin of [ALLOWED, ALSO_ALLOWED]) {
      const response = await preflight(gateway.url, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/content-type/);
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/authorization/);
      expect(response.headers.get('access-control-max-age')).toBe('600');
      expect(response.headers.get('vary')?.toLowerCase()).toMatch(/origin/);
    }
  });

  it('a preflight from any other origin gets no allow-origin, so the browser blocks the call', async () => {
    const response = await preflight(gateway.url, OTHER);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the actual request: allow-origin, and the freshness headers exposed to scripts', async () => {
    const response = await crossOriginPost(gateway.url, ALLOWED);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['cache-status', 'age', 'x-request-id']));
    expect(response.headers.get('cache-status')).toMatch(/^recs-gateway; /);

    const denied = await crossOriginPost(gateway.url, OTHER);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS unset', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('no CORS headers at all, on a preflight or on a request', async () => {
    const pre = await preflight(gateway.url, ALLOWED);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-methods')).toBeNull();
    const post = await crossOriginPost(gateway.url, ALLOWED);
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    expect(post.headers.get('access-control-expose-headers')).toBeNull();
  });
});

describe('CORS_ORIGINS validation', () => {
  it('accepts exact origins and refuses paths, wildcards and non-http schemes, naming the bad value', () => {
    expect(loadConfig({ CORS_ORIGINS: `${ALLOWED},${ALSO_ALLOWED}` }).corsOrigins).toEqual([ALLOWED, ALSO_ALLOWED]);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    for (const bad of [
      'https://shop.example.com/',
      'https://shop.example.com/app',
      '*',
      'ftp://files.example.com',
      'shop.example.com',
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(JSON.stringify(bad));
    }
  });
});
