/**
 * GraphQL over HTTP compliance: the `graphql-http` server audit suite against a running gateway.
 *
 * Apollo alone: 55 ok, 3 notices, 3 warnings. The warnings (400 instead of 200 for parse, validation and
 * variable-coercion failures under `Accept: application/json`) are closed by the json-status plugin. The 3 notices
 * were GETs without a preflight header, blocked by Apollo's CSRF prevention; the gateway turns that off (tokens
 * travel only in the Authorization header, see docs/security.md), so plain GETs are answered and every audit is ok.
 */
import { serverAudits } from 'graphql-http';
import type { AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { Cleanups } from '../gateway/helpers.js';
import { preferredResponseType } from '../../src/graphql/plugins/json-status/index.js';
import { SECRET, bearer, gql, hsToken } from './helpers.js';

/** The audits that are GETs without a preflight header: blocked while Apollo's CSRF prevention was on. */
const PLAIN_GETS = ['5A70', 'D6D5', '6A70'];

async function runAudits(url: string, fetchFn: typeof fetch): Promise<AuditResult[]> {
  const results: AuditResult[] = [];
  // One at a time: the audits are tiny, and a sequential run keeps the log readable.
  for (const audit of serverAudits({ url, fetchFn })) results.push(await audit.fn());
  return results;
}

function tally(results: readonly AuditResult[]): Record<string, number> {
  const counts: Record<string, number> = { ok: 0, notice: 0, warn: 0, error: 0 };
  for (const result of results) counts[result.status] = (counts[result.status] ?? 0) + 1;
  return counts;
}

function notOk(results: readonly AuditResult[]): string[] {
  return results.flatMap((result) =>
    result.status === 'ok' ? [] : [`${result.status} ${result.id} ${result.name}: ${result.reason}`],
  );
}

describe('graphql-http server audits', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({});
    cleanups.add(() => gateway.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('every audit is ok: no notices, no warnings, no errors', async () => {
    const results = await runAudits(gateway.url, fetch);
    const counts = tally(results);
    console.log(`graphql-http audit (development gateway): ${results.length} audits, ${JSON.stringify(counts)}`);
    for (const line of notOk(results)) console.log(`  ${line}`);
    expect(counts.error, notOk(results).join('\n')).toBe(0);
    expect(counts.warn, notOk(results).join('\n')).toBe(0);
    expect(notOk(results)).toEqual([]);
    expect(counts.ok).toBe(results.length);
    expect(counts.ok).toBeGreaterThanOrEqual(61);
    expect(results.map((result) => result.id)).toEqual(expect.arrayContaining(PLAIN_GETS));
  });

  it('GETs are answered with or without a preflight header (what urql, curl and CDNs send)', async () => {
    const plain = new URL(gateway.url);
    plain.searchParams.set('query', '{ __typename }');
    const withVariables = new URL(gateway.url);
    withVariables.searchParams.set('query', 'query Type($name: String!) { __type(name: $name) { name } }');
    withVariables.searchParams.set('variables', JSON.stringify({ name: 'sometype' }));
    for (const [url, accept] of [
      [plain, undefined],
      [withVariables, 'application/graphql-response+json'],
      [withVariables, 'application/json'],
    ] as const) {
      const plain = await fetch(url, { headers: accept === undefined ? {} : { accept } });
      expect(plain.status).toBe(200);
      expect(((await plain.json()) as { errors?: unknown }).errors).toBeUndefined();
      const allowed = await fetch(url, {
        headers: { ...(accept === undefined ? {} : { accept }), 'apollo-require-preflight': 'true' },
      });
      expect(allowed.status).toBe(200);
      const body = (await allowed.json()) as { errors?: unknown };
      expect(body.errors).toBeUndefined();
    }
  });

  it("the json-status plugin: 200 under application/json, Apollo's 400 kept under application/graphql-response+json", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['{', {}, 'GRAPHQL_PARSE_FAILED'],
      ['{ nope }', {}, 'GRAPHQL_VALIDATION_FAILED'],
      ['query Q($n: Boolean!) { __typename @include(if: $n) }', { variables: { n: 'x' } }, 'BAD_USER_INPUT'],
      ['query A { __typename } query B { __typename }', {}, 'OPERATION_RESOLUTION_FAILURE'],
    ];
    for (const [query, extra, code] of cases) {
      for (const [accept, status, type] of [
        ['application/json', 200, 'application/json'],
        [undefined, 200, 'application/json'],
        ['*/*', 200, 'application/json'],
        ['application/graphql-response+json', 400, 'application/graphql-response+json'],
        ['application/graphql-response+json, application/json', 400, 'application/graphql-response+json'],
        ['application/json;q=0.5, application/graphql-response+json', 400, 'application/graphql-response+json'],
        ['application/json, application/graphql-response+json;q=0.9', 200, 'application/json'],
      ] as const) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (accept !== undefined) headers.accept = accept;
        const response = await fetch(gateway.url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query, ...extra }),
        });
        const label = `${code} with Accept ${String(accept)}`;
        expect(response.status, label).toBe(status);
        expect(response.headers.get('content-type'), label).toMatch(new RegExp(`^${type.replace('+', '\\+')}`));
        const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
        expect(body.errors?.[0]?.extensions?.code, label).toBe(code);
        expect('data' in body, label).toBe(false);
      }
    }
  });

  it('the json-status plugin leaves other statuses alone: 405 GET mutation, 400 malformed request, 401 without a token', async () => {
    const mutation = new URL(gateway.url);
    mutation.searchParams.set('query', 'mutation { purgeModelVersion(modelVersion: "x") { removed } }');
    const get = await fetch(mutation, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(405);
    const malformed = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: [1] }),
    });
    expect(malformed.status).toBe(400);
    const secured = await startGateway({ AUTH_JWT_SECRET: SECRET });
    cleanups.add(() => secured.close());
    const unauthenticated = await gql(secured.url, '{ nope }', undefined, { accept: 'application/json' });
    expect([unauthenticated.status, unauthenticated.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('production with auth (every audit request carrying a valid token): the same tally with introspection enabled; off, the two introspection-based audits fail too', async () => {
    const token = await hsToken({ sub: 'auditor', scope: 'recommendations:read:any' });
    const withToken: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      for (const [name, value] of Object.entries(bearer(token))) headers.set(name, value);
      return fetch(input, { ...init, headers });
    };
    const introspectable = await startGateway({
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: SECRET,
      GRAPHQL_INTROSPECTION: 'true',
    });
    cleanups.add(() => introspectable.close());
    const open = await runAudits(introspectable.url, withToken);
    console.log(
      `graphql-http audit (production, auth on, GRAPHQL_INTROSPECTION=true): ${open.length} audits, ${JSON.stringify(tally(open))}`,
    );
    expect(tally(open).error, notOk(open).join('\n')).toBe(0);
    expect(tally(open).warn, notOk(open).join('\n')).toBe(0);
    expect(notOk(open)).toEqual([]);

    // The production default: introspection off. The audits 2EA1, 28B9, D6D5 and 6A70 (GETs) query `__type(name: $name)`, which is
    // introspection: refused with GRAPHQL_VALIDATION_FAILED, as intended. Nothing else changes.
    const production = await startGateway({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET });
    cleanups.add(() => production.close());
    const closed = await runAudits(production.url, withToken);
    console.log(
      `graphql-http audit (production, auth on, introspection off): ${closed.length} audits, ${JSON.stringify(tally(closed))}`,
    );
    for (const line of notOk(closed)) console.log(`  ${line}`);
    const failing = closed.filter((result) => result.status !== 'ok');
    expect(failing.map((result) => `${result.status} ${result.id}`).sort()).toEqual(
      ['warn 2EA1', 'error 28B9', 'notice D6D5', 'notice 6A70'].sort(),
    );
    for (const result of failing) {
      expect(await result.response.text(), result.id).toMatch(/introspection/i);
    }
  });
});

describe('preferredResponseType (the negotiation the plugin uses)', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    ['application/json', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['application/graphql-response+json, application/json', 'application/graphql-response+json'],
    ['application/json, application/graphql-response+json', 'application/json'],
    ['application/json;q=0.9, application/graphql-response+json', 'application/graphql-response+json'],
    ['application/graphql-response+json;q=0, */*', 'application/json'],
    ['application/graphql-response+json, */*;q=0.1', 'application/graphql-response+json'],
    ['text/html', undefined],
    ['application/xml, text/plain', undefined],
    ['application/json;q=0', undefined],
    ['text/json, application/graphql-response+json', 'application/graphql-response+json'],
    ['APPLICATION/JSON', 'application/json'],
  ];
  for (const [accept, expected] of cases) {
    it(`Accept ${JSON.stringify(accept)} → ${String(expected)}`, () => {
      expect(preferredResponseType(accept)).toBe(expected);
    });
  }
});
