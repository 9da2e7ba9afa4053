/**
 * The IDE's switches over plain HTTP (the browser tests are in test/e2e/ide.test.ts): `GRAPHQL_IDE` (on in
 * development, off in production unless set; off, the IDE's URLs are 404s and GraphQL is unaffected), a page whose
 * every URL is relative, and an introspection refusal that names the gateway's own setting.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { IDE_OFF_MESSAGE } from '../../src/http/ide.js';
import { SECRET, hsToken } from '../security/helpers.js';

const gateways: InProcessGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
});

async function start(env: Record<string, string>): Promise<InProcessGateway> {
  const gateway = await startGateway({ MODEL_WORKERS: '0', ...env });
  gateways.push(gateway);
  return gateway;
}

function browserGet(url: string): Promise<Response> {
  return fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
}

describe('GRAPHQL_IDE', () => {
  it('defaults to on outside production and off in production; true or false overrides; anything else is refused', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).graphqlIde).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).graphqlIde).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }).graphqlIde).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, GRAPHQL_IDE: 'true' }).graphqlIde).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', GRAPHQL_IDE: 'false' }).graphqlIde).toBe(false);
    expect(() => loadConfig({ GRAPHQL_IDE: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ GRAPHQL_IDE: 'yes' })).toThrow('GRAPHQL_IDE must be true or false, but got: "yes"');
  });

  it('HTTP_COMPRESSION_MIN_BYTES: 4096 unless set, a whole number of bytes', () => {
    expect(loadConfig({}).compressionMinBytes).toBe(4096);
    expect(loadConfig({ HTTP_COMPRESSION_MIN_BYTES: '1024' }).compressionMinBytes).toBe(1024);
    expect(() => loadConfig({ HTTP_COMPRESSION_MIN_BYTES: '4k' })).toThrow(
      /HTTP_COMPRESSION_MIN_BYTES must be a whole number/,
    );
  });

  it('off (the production default): the page and its assets are 404s; GraphQL GETs and POSTs work as before', async () => {
    const production = await start({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET });
    const off = await start({ GRAPHQL_IDE: 'false' });
    const token = await hsToken({ sub: 'u42' });
    for (const gateway of [production, off]) {
      const page = await browserGet(gateway.url);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await page.text()).toBe(IDE_OFF_MESSAGE);
      for (const name of ['start.js', 'graphiql.min.js', 'ide.css']) {
        expect((await fetch(`${gateway.origin}/graphql/ide/${name}`)).status, name).toBe(404);
      }
      const authorization = `Bearer ${token}`;
      const query = '{ recommendations(userId: "u42", first: 1) { userId } }';
      const post = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query }),
      });
      expect(post.status).toBe(200);
      expect(((await post.json()) as { data: unknown }).data).toEqual({ recommendations: { userId: 'u42' } });
      const get = await fetch(`${gateway.url}?query=${encodeURIComponent(query)}`, {
        headers: { authorization, accept: 'application/json', 'apollo-require-preflight': 'true' },
      });
      expect(get.status).toBe(200);
    }
  });

  it('on: every URL in the page is relative (works under a path prefix) and every asset it names is served', async () => {
    const gateway = await start({});
    const response = await browserGet(gateway.url);
    expect(response.status).toBe(200);
    const html = await response.text();
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1] ?? '');
    expect(urls.length).toBe(7);
    for (const url of urls) {
      if (url.startsWith('data:')) continue;
      expect(url, url).toMatch(/^graphql\/ide\/[a-z.-]+\?v=[0-9a-f]{12}$/);
      const asset = await fetch(new URL(url, gateway.url));
      expect(asset.status, url).toBe(200);
      await asset.arrayBuffer();
    }
    // What the page knows about the gateway, as data attributes (no inline script under the CSP).
    expect(html).toContain('data-introspection="true"');
    expect(html).toContain('data-auth-required="false"');
    expect(html).toContain('data-introspection-setting="GRAPHQL_INTROSPECTION"');
  });
});

describe('introspection off', () => {
  it("the refusal names GRAPHQL_INTROSPECTION, not Apollo's constructor option; __typename still works", async () => {
    const gateway = await start({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET });
    const authorization = `Bearer ${await hsToken({ sub: 'u42' })}`;
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Query") { name } }']) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization },
        body: JSON.stringify({ query }),
      });
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as {
        errors: Array<{ message: string; extensions: Record<string, unknown> }>;
      };
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]?.message).toContain('GRAPHQL_INTROSPECTION=true');
      expect(body.errors[0]?.message).not.toMatch(/ApolloServer/);
      expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(body.errors[0]?.extensions.validationErrorCode).toBe('INTROSPECTION_DISABLED');
    }
    const typename = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await typename.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
