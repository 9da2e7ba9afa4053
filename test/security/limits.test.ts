/**
 * Limits with stable error codes, over real HTTP with auth on. The codes recorded here are the
 * contract (docs/security.md):
 *
 *   depth > 8, aliases > 100            GRAPHQL_VALIDATION_FAILED  400 (200 when the client accepts only application/json)
 *   more than 10,000 tokens             GRAPHQL_PARSE_FAILED       400 (likewise)
 *   first outside 1..100, bad ids       BAD_USER_INPUT             200 (a resolver error: data is null)
 *   body over 64 KiB                    FST_ERR_CTP_BODY_TOO_LARGE 413 (Fastify's body, not a GraphQL one)
 *   over a per-client budget            RATE_LIMITED               200 with extensions.retryAfterSeconds
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { Cleanups, CountingModel } from '../gateway/helpers.js';
import { PURCHASE_MUTATION, READ_QUERY, SECRET, aliasedReads, bearer, gql, hsToken, readResponse } from './helpers.js';
import type { RawResponse } from './helpers.js';

const AUTH = { AUTH_JWT_SECRET: SECRET };

function expectRequestError(response: RawResponse, code: string, status: number, message: RegExp): void {
  expect(response.status, response.text.slice(0, 400)).toBe(status);
  expect(response.code).toBe(code);
  expect(response.errors[0]?.message).toMatch(message);
  // Refused before execution: no data entry at all.
  expect(response.json && 'data' in response.json).toBe(false);
}

/** `{ ... { ... { recommendations(...) { items { item { id } } } } } }`: depth = fragments + 4 fields. */
function nestedFragments(fragments: number): string {
  return `{ ${'... { '.repeat(fragments)}recommendations(userId: "depth-user", first: 1) { items { item { id } } }${' }'.repeat(fragments)} }`;
}

describe('operation shape and argument limits', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let model: CountingModel;
  let token: string;

  beforeAll(async () => {
    model = CountingModel.builtin('v1');
    gateway = await startGateway(AUTH, { model });
    cleanups.add(() => gateway.close());
    token = await hsToken({ sub: 'shapes', scope: 'recommendations:read:any purchases:write' });
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('depth 8 runs; depth 9 → GRAPHQL_VALIDATION_FAILED naming the limit, before any model call', async () => {
    const eight = await gql(gateway.url, nestedFragments(4), undefined, { token });
    expect(eight.errors, eight.text.slice(0, 300)).toEqual([]);
    model.reset();
    const nine = await gql(gateway.url, nestedFragments(5), undefined, { token });
    expectRequestError(nine, 'GRAPHQL_VALIDATION_FAILED', 400, /Query depth limit of 8 exceeded, found 9/);
    expect(model.scoreCalls).toEqual([]);
    // Named fragments count as a level each, too.
    const named = `query Deep { ...A } fragment A on Query { ...B } fragment B on Query { ...C } fragment C on Query { ...D }
      fragment D on Query { ...E } fragment E on Query { recommendations(userId: "d", first: 1) { items { item { id } } } }`;
    expectRequestError(
      await gql(gateway.url, named, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /depth limit of 8/,
    );
  });

  it('100 aliases run; 101 → GRAPHQL_VALIDATION_FAILED (also when hidden in fragments), nothing computed', async () => {
    const users = Array.from({ length: 101 }, (_, index) => `alias-${index}`);
    const hundred = await gql(gateway.url, aliasedReads(users.slice(0, 100)), undefined, { token });
    expect(hundred.errors).toEqual([]);
    expect(Object.keys(hundred.data as object)).toHaveLength(100);
    model.reset();
    const refused = await gql(gateway.url, aliasedReads(users), undefined, { token });
    expectRequestError(refused, 'GRAPHQL_VALIDATION_FAILED', 400, /Aliases limit of 100 exceeded, found 101/);
    const fields = users
      .slice(0, 51)
      .map((userId, index) => `f${index}: recommendations(userId: "${userId}") { userId }`)
      .join(' ');
    const viaFragments = `query Twice { ...F ... on Query { ...F } } fragment F on Query { ${fields} }`;
    expectRequestError(
      await gql(gateway.url, viaFragments, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /Aliases limit of 100 exceeded, found 102/,
    );
    expect(model.scoreCalls).toEqual([]);
  });

  it('__typename aliases count like any alias: 100 run, 101 (alone or mixed with user aliases) → GRAPHQL_VALIDATION_FAILED', async () => {
    const typenames = (count: number): string =>
      Array.from({ length: count }, (_, index) => `t${index}: __typename`).join(' ');
    const hundred = await gql(gateway.url, `{ ${typenames(100)} }`, undefined, { token });
    expect(hundred.errors).toEqual([]);
    expect(Object.keys(hundred.data as object)).toHaveLength(100);
    expectRequestError(
      await gql(gateway.url, `{ ${typenames(101)} }`, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /Aliases limit of 100 exceeded, found 101/,
    );
    expectRequestError(
      await gql(gateway.url, `{ ${typenames(1_000)} }`, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /Aliases limit of 100 exceeded, found 1000/,
    );
    const mixed = `{ ${typenames(51)} ${Array.from({ length: 50 }, (_, index) => `u${index}: recommendations(userId: "mix-${index}", first: 1) { t: __typename }`).join(' ')} }`;
    model.reset();
    expectRequestError(
      await gql(gateway.url, mixed, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /Aliases limit of 100 exceeded, found 151/,
    );
    expect(model.scoreCalls).toEqual([]);
    // Nested in a list's items, too.
    const nested = `{ recommendations(userId: "nested-typename", first: 1) { items { ${typenames(101)} } } }`;
    expectRequestError(
      await gql(gateway.url, nested, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /found 101/,
    );
  });

  it('the Bearer scheme is case-insensitive (RFC 9110 section 11.1): bearer and BEARER authenticate like Bearer', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const response = await gql(gateway.url, '{ __typename }', undefined, {
        headers: { authorization: `${scheme} ${token}` },
      });
      expect(response.status, scheme).toBe(200);
      expect(response.data, scheme).toEqual({ __typename: 'Query' });
    }
    for (const malformed of [`Bearer  ${token}`, `Bearer\t${token}`, `Bearer:${token}`, `Token ${token}`]) {
      expect(
        (await gql(gateway.url, '{ __typename }', undefined, { headers: { authorization: malformed } })).status,
        malformed,
      ).toBe(401);
    }
  });

  it('under Accept: application/json the same refusals are HTTP 200 (GraphQL over HTTP), with the same codes', async () => {
    const users = Array.from({ length: 101 }, (_, index) => `alias-${index}`);
    const aliases = await gql(gateway.url, aliasedReads(users), undefined, { token, accept: 'application/json' });
    expect(aliases.status).toBe(200);
    expect(aliases.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(aliases.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const depth = await gql(gateway.url, nestedFragments(5), undefined, { token, accept: 'application/json' });
    expect([depth.status, depth.code]).toEqual([200, 'GRAPHQL_VALIDATION_FAILED']);
  });

  it('a document of more than 10,000 tokens → GRAPHQL_PARSE_FAILED, before validation or execution', async () => {
    const huge = `{${' a'.repeat(10_001)} }`;
    expect(Buffer.byteLength(JSON.stringify({ query: huge }))).toBeLessThan(64 * 1024);
    // `a` is not a field: had the document been parsed, validation would have said so instead.
    expectRequestError(
      await gql(gateway.url, huge, undefined, { token }),
      'GRAPHQL_PARSE_FAILED',
      400,
      /more that 10000 tokens/,
    );
    const underLimit = `{ ${Array.from({ length: 9_000 }, (_, index) => `f${index}`).join(' ')} }`;
    const validated = await gql(gateway.url, underLimit, undefined, { token });
    expectRequestError(validated, 'GRAPHQL_VALIDATION_FAILED', 400, /Cannot query field "f0" on type "Query"/);
    // graphql-js stops at 100 validation errors, so the answer stays small.
    expect(validated.errors.length).toBeLessThanOrEqual(101);
  });

  it('5,000 identical fields (field-merge blow-up) → GRAPHQL_VALIDATION_FAILED "Validation aborted." (graphql-js budget)', async () => {
    const merged = `{${' __typename'.repeat(5_000)} }`;
    expectRequestError(
      await gql(gateway.url, merged, undefined, { token }),
      'GRAPHQL_VALIDATION_FAILED',
      400,
      /^Validation aborted\.$/,
    );
    // A few hundred are fine.
    expect((await gql(gateway.url, `{${' __typename'.repeat(300)} }`, undefined, { token })).data).toEqual({
      __typename: 'Query',
    });
  });

  for (const [first, ok] of [
    [0, false],
    [1, true],
    [100, true],
    [101, false],
    [-5, false],
  ] as const) {
    it(`first: ${first} → ${ok ? 'served' : 'BAD_USER_INPUT naming first'}`, async () => {
      const response = await gql(gateway.url, READ_QUERY, { userId: 'first-user', first }, { token });
      expect(response.status).toBe(200);
      if (ok) {
        expect(response.errors).toEqual([]);
        expect((response.data as { recommendations: { items: unknown[] } }).recommendations.items).toHaveLength(first);
      } else {
        expect(response.code).toBe('BAD_USER_INPUT');
        expect(response.errors[0]?.extensions?.argumentName).toBe('first');
        expect(response.data).toBeNull();
      }
    });
  }

  it('userId of 128 characters is served; 129 → BAD_USER_INPUT; an orderId of 129 → BAD_USER_INPUT naming input.orderId', async () => {
    expect((await gql(gateway.url, READ_QUERY, { userId: 'u'.repeat(128), first: 1 }, { token })).errors).toEqual([]);
    model.reset();
    const long = await gql(gateway.url, READ_QUERY, { userId: 'u'.repeat(129) }, { token });
    expect([long.status, long.code]).toEqual([200, 'BAD_USER_INPUT']);
    expect(long.errors[0]?.extensions?.argumentName).toBe('userId');
    expect(long.errors[0]?.message).toContain('(129 characters)');
    expect(model.scoreCalls).toEqual([]);
    const order = await gql(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'u1', itemId: 'i1', orderId: 'o'.repeat(129) } },
      { token },
    );
    expect(order.code).toBe('BAD_USER_INPUT');
    expect(order.errors[0]?.extensions?.argumentName).toBe('input.orderId');
    expect(model.purchases).toEqual([]);
  });

  it('a body of exactly 64 KiB is read; one byte more → 413 FST_ERR_CTP_BODY_TOO_LARGE', async () => {
    const bodyOf = (size: number): string => {
      const base = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
      return JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(size - base.length) } });
    };
    const send = async (body: string) =>
      readResponse(
        await fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(token) },
          body,
        }),
      );
    const exact = bodyOf(64 * 1024);
    expect(Buffer.byteLength(exact)).toBe(65_536);
    const accepted = await send(exact);
    expect(accepted.status).toBe(200);
    expect(accepted.data).toEqual({ __typename: 'Query' });
    const over = await send(bodyOf(64 * 1024 + 1));
    expect(over.status).toBe(413);
    expect(over.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    const megabyte = await send(bodyOf(1024 * 1024));
    expect([megabyte.status, megabyte.code]).toEqual([413, 'FST_ERR_CTP_BODY_TOO_LARGE']);
  });
});

describe('per-client budgets (RATE_LIMIT_PURCHASES_PER_MINUTE=3, RATE_LIMIT_COMPUTES_PER_MINUTE=5)', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    model = CountingModel.builtin('v1');
    gateway = await startGateway(
      { ...AUTH, RATE_LIMIT_PURCHASES_PER_MINUTE: '3', RATE_LIMIT_COMPUTES_PER_MINUTE: '5' },
      { model },
    );
    cleanups.add(() => gateway.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('the 4th purchase in a minute → RATE_LIMITED with retryAfterSeconds and is not recorded; another client is unaffected', async () => {
    const token = await hsToken({ sub: 'checkout-a', scope: 'purchases:write' });
    model.reset();
    for (let n = 1; n <= 3; n++) {
      const response = await gql(
        gateway.url,
        PURCHASE_MUTATION,
        { input: { userId: 'buyer', itemId: `i${n}`, orderId: `rl-${n}` } },
        { token },
      );
      expect(response.errors, `purchase ${n}`).toEqual([]);
    }
    const fourth = await gql(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'buyer', itemId: 'i4', orderId: 'rl-4' } },
      { token },
    );
    expect(fourth.status).toBe(200);
    expect(fourth.code).toBe('RATE_LIMITED');
    expect(fourth.data).toBeNull();
    const retryAfter = fourth.errors[0]?.extensions?.retryAfterSeconds;
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter as number).toBeGreaterThanOrEqual(1);
    expect(retryAfter as number).toBeLessThanOrEqual(60);
    expect(fourth.errors[0]?.message).toBe(`Rate limited: too many purchases; retry after ${String(retryAfter)} s`);
    expect(model.purchases.map((purchase) => purchase.itemId)).toEqual(['i1', 'i2', 'i3']);

    const other = await hsToken({ sub: 'checkout-b', scope: 'purchases:write' });
    const response = await gql(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'buyer', itemId: 'i5', orderId: 'rl-5' } },
      { token: other },
    );
    expect(response.errors).toEqual([]);
  });

  it('6 cold users with a budget of 5: five are computed, the sixth is RATE_LIMITED; cached users stay free', async () => {
    const token = await hsToken({ sub: 'reader-a', scope: 'recommendations:read:any' });
    const users = Array.from({ length: 6 }, (_, index) => `cold-${index}`);
    model.reset();
    const first = await gql(gateway.url, aliasedReads(users), undefined, { token });
    expect(first.status).toBe(200);
    expect(first.errors).toHaveLength(1);
    expect(first.errors[0]?.path).toEqual(['a5']);
    expect(first.code).toBe('RATE_LIMITED');
    expect(first.errors[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // `recommendations` is non-null, so one refused user nulls the whole `data` (see docs/security.md) ...
    expect(first.data).toBeNull();
    // ... but only the sixth was refused: the model computed exactly the five that fit the budget.
    expect(model.scoreCalls.flat().sort()).toEqual(users.slice(0, 5).sort());

    // Those five are cached now and cost nothing: served although the budget is spent.
    model.reset();
    const cached = await gql(gateway.url, aliasedReads(users.slice(0, 5)), undefined, { token });
    expect(cached.errors).toEqual([]);
    expect(Object.values(cached.data as Record<string, { source: string }>).map((list) => list.source)).toEqual(
      Array(5).fill('CACHE'),
    );
    expect(model.scoreCalls).toEqual([]);

    // The sixth is still over budget for this client, alone or next to cached users ...
    const sixth = await gql(gateway.url, READ_QUERY, { userId: users[5] }, { token });
    expect([sixth.status, sixth.code]).toEqual([200, 'RATE_LIMITED']);
    const mixed = await gql(gateway.url, aliasedReads([users[0] as string, users[5] as string]), undefined, { token });
    expect(mixed.code).toBe('RATE_LIMITED');
    expect(mixed.errors.map((error) => error.path)).toEqual([['a1']]);
    expect(model.scoreCalls).toEqual([]);

    // ... and within budget for another client.
    const other = await gql(
      gateway.url,
      READ_QUERY,
      { userId: users[5] },
      { token: await hsToken({ sub: 'reader-b', scope: 'recommendations:read:any' }) },
    );
    expect(other.errors).toEqual([]);
    expect((other.data as { recommendations: { source: string } }).recommendations.source).toBe('MODEL');
  });

  it('a user token has its own compute budget too (keyed by subject)', async () => {
    for (let n = 0; n < 5; n++) {
      const token = await hsToken({ sub: `self-reader-${n}` });
      expect((await gql(gateway.url, READ_QUERY, { userId: `self-reader-${n}` }, { token })).errors).toEqual([]);
    }
  });
});
