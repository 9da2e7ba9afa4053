/**
 * Common clients with their defaults, against a real gateway over real HTTP: urql (queries as GET, the document
 * cache), graphql-request (POST and GET), a plain GET, and Apollo Client's BatchHttpLink (refused, with a message
 * each operation carries). Every client runs the code of `examples/`, which docs/clients.md shows. With auth on,
 * the token travels in the Authorization header only; a cross-site page can send none of what runs a mutation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloClient, CombinedGraphQLErrors, InMemoryCache } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { ClientError } from 'graphql-request';
import { createGraphQLClient, readRecommendations as readWithGraphQLRequest } from '../../examples/graphql-request.js';
import { getTop } from '../../examples/plain-get.js';
import {
  createUrqlClient,
  readRecommendations as readWithUrql,
  recordPurchase as buyWithUrql,
} from '../../examples/urql.js';
import { RecommendationsDocument } from '../../examples/generated/graphql.js';
import { BATCH_REFUSED_MESSAGE } from '../../src/http/batch-refusal.js';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { captureLogs, requestLines } from '../support/log-capture.js';
import type { CapturedLogger } from '../support/log-capture.js';
import { hsToken } from '../security/helpers.js';
import { itemIds as ids } from '../gateway/helpers.js';

const SECRET = 'clients-test-hs256-secret-of-at-least-32-bytes';

/** The method of each logged request for an operation, in order. */
function methodsOf(logs: CapturedLogger, operation: string): unknown[] {
  return requestLines(logs.lines())
    .filter((line) => line.operation === operation)
    .map((line) => line.method);
}

describe('clients with their defaults (auth off)', () => {
  let gateway: InProcessGateway;
  let logs: CapturedLogger;

  beforeAll(async () => {
    logs = captureLogs('info');
    gateway = await startGateway({ LOG_LEVEL: 'info' }, { logger: logs.logger });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('urql: queries go as GET and are answered; after its purchase no cached view shows the bought item', async () => {
    const client = createUrqlClient(gateway.url);
    const userId = 'urql-u1';
    const top5 = await readWithUrql(client, userId, 5);
    const all = await readWithUrql(client, userId);
    expect(top5.items).toHaveLength(5);
    expect(all.items).toHaveLength(20);
    // From urql's document cache: the same answer, no request.
    const sent = methodsOf(logs, 'Recommendations').length;
    expect(await readWithUrql(client, userId, 5)).toEqual(top5);
    expect(methodsOf(logs, 'Recommendations')).toHaveLength(sent);
    expect(methodsOf(logs, 'Recommendations')).toEqual(['GET', 'GET']);

    const bought = top5.items[0]?.item.id ?? '';
    await buyWithUrql(client, { userId, itemId: bought, orderId: 'urql-order-1' });
    expect(methodsOf(logs, 'RecordPurchase')).toEqual(['POST']);
    // The mutation's result holds a RecommendationList, so both cached views were dropped and are read again.
    const top5After = await readWithUrql(client, userId, 5);
    const allAfter = await readWithUrql(client, userId);
    expect(ids(top5After)).not.toContain(bought);
    expect(ids(allAfter)).not.toContain(bought);
    expect(top5After.items).toHaveLength(5);
    expect(allAfter.items).toHaveLength(20);
    expect(methodsOf(logs, 'Recommendations')).toEqual(['GET', 'GET', 'GET', 'GET']);
  });

  it("urql's and graphql-request's GETs of the example query are answered by the fast path once known", async () => {
    await readWithUrql(createUrqlClient(gateway.url), 'fast-get-u0', 5);
    const before = await fastPathOutcomes(gateway);
    for (let index = 1; index <= 3; index++) await readWithUrql(createUrqlClient(gateway.url), `fast-get-u${index}`, 5);
    const afterUrql = await fastPathOutcomes(gateway);
    expect(afterUrql.served - before.served).toBe(3);
    expect(afterUrql.passed - before.passed).toBe(0);
    const client = createGraphQLClient(gateway.url, { method: 'GET' });
    await readWithGraphQLRequest(client, 'fast-get-u4', 5);
    await readWithGraphQLRequest(client, 'fast-get-u5', 5);
    expect((await fastPathOutcomes(gateway)).served - afterUrql.served).toBeGreaterThanOrEqual(1);
  });

  it('graphql-request: POST and GET both answer, with the same list', async () => {
    const viaPost = await readWithGraphQLRequest(createGraphQLClient(gateway.url), 'gr-u1', 5);
    const viaGet = await readWithGraphQLRequest(createGraphQLClient(gateway.url, { method: 'GET' }), 'gr-u1', 5);
    expect(viaPost.items).toHaveLength(5);
    expect(viaGet).toEqual({ ...viaPost, source: 'CACHE', freshUntil: viaGet.freshUntil });
    // An error reaches the caller as graphql-request's ClientError, with the gateway's code.
    const failure = await readWithGraphQLRequest(createGraphQLClient(gateway.url, { method: 'GET' }), 'gr-u1', 0).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ClientError);
    expect((failure as ClientError).response.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('a plain GET (curl, CDNs, mobile HTTP stacks) is answered; a mutation over GET is still refused', async () => {
    const answer = await getTop(gateway.url, 'get-u1', 3);
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.recommendations.items).toHaveLength(3);
    expect(answer.data?.recommendations.id).toBe('get-u1/3');

    const mutation = new URL(gateway.url);
    mutation.searchParams.set(
      'query',
      'mutation { recordPurchase(input: { userId: "get-u1", itemId: "i1", orderId: "get-o1" }) { invalidated } }',
    );
    const refused = await fetch(mutation);
    expect(refused.status).toBe(405);
    const body = (await refused.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0]?.message).toMatch(/GET.*mutation|mutation.*GET/i);
  });

  it('what a cross-site form can send runs nothing: text/plain, form-encoded and multipart POSTs are refused', async () => {
    const mutation = JSON.stringify({
      query:
        'mutation { recordPurchase(input: { userId: "csrf-u1", itemId: "i1", orderId: "csrf-o1" }) { invalidated } }',
    });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: mutation,
      });
      expect(response.status, contentType).toBe(contentType === 'text/plain' ? 400 : 415);
    }
    // Nothing was recorded: the same order sent as JSON (what only a same-origin or CORS-allowed page can send) is new.
    const json = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: mutation.replace('{ invalidated }', '{ duplicate }'),
    });
    expect(await json.json()).toEqual({ data: { recordPurchase: { duplicate: false } } });
  });

  it("Apollo Client's BatchHttpLink: each operation fails with the reason, not a length mismatch", async () => {
    const client = new ApolloClient({ link: new BatchHttpLink({ uri: gateway.url }), cache: new InMemoryCache() });
    try {
      const results = await Promise.allSettled(
        ['batch-u1', 'batch-u2', 'batch-u3'].map((userId) =>
          client.query({ query: RecommendationsDocument, variables: { userId, first: 2 } }),
        ),
      );
      expect(results).toHaveLength(3);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        if (result.status !== 'rejected') continue;
        expect(CombinedGraphQLErrors.is(result.reason)).toBe(true);
        if (!CombinedGraphQLErrors.is(result.reason)) continue;
        expect(result.reason.errors[0]?.message).toBe(BATCH_REFUSED_MESSAGE);
        expect(result.reason.errors[0]?.extensions?.['code']).toBe('BAD_REQUEST');
      }
    } finally {
      client.stop();
    }
    // A batch far larger than any client sends costs one small answer.
    const huge = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 1_000 }, () => ({ query: '{ __typename }' }))),
    });
    expect(huge.status).toBe(400);
    const text = await huge.text();
    expect(text.length).toBeLessThan(500);
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: BATCH_REFUSED_MESSAGE, extensions: { code: 'BAD_REQUEST' } }],
    });
  });
});

describe('clients with auth on: the token travels in the Authorization header only', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({ AUTH_JWT_SECRET: SECRET });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('urql, graphql-request GET and a plain GET work with the token, and get 401 without it', async () => {
    const token = await hsToken({ secret: SECRET, sub: 'auth-u1', issuer: '', audience: '' });
    expect((await readWithUrql(createUrqlClient(gateway.url, token), 'auth-u1', 3)).items).toHaveLength(3);
    expect(
      (await readWithGraphQLRequest(createGraphQLClient(gateway.url, { token, method: 'GET' }), 'auth-u1', 3)).items,
    ).toHaveLength(3);
    expect((await getTop(gateway.url, 'auth-u1', 3, token)).status).toBe(200);

    // What a cross-site page can make a browser send: the same GET without the header.
    const anonymous = await getTop(gateway.url, 'auth-u1', 3);
    expect(anonymous.status).toBe(401);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Another user's list stays FORBIDDEN over GET too.
    const other = await getTop(gateway.url, 'auth-u2', 3, token);
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
