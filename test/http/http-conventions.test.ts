/**
 * HTTP conventions over real requests: `WWW-Authenticate: Bearer` on every 401 (RFC 6750), `Retry-After` on every
 * answer that carries RATE_LIMITED, and br/gzip compression negotiated by `Accept-Encoding` for large answers and the
 * IDE's assets, never for a typical hit, which stays on the fast path.
 */
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { READ_QUERY } from '../gateway/helpers.js';
import { PURCHASE_MUTATION, SECRET, aliasedReads, hsToken, tamperedSignature } from '../security/helpers.js';
import { bearerChallenge } from '../../src/http/auth-challenge.js';
import { retryAfterSeconds } from '../../src/graphql/plugins/retry-after/index.js';
import { createApolloServer } from '../../src/graphql/apollo.js';
import { noStoreEffect } from '../../src/graphql/response/no-store.js';
import { mediaTypeEffect } from '../../src/graphql/response/media-type.js';
import { createHttpServer } from '../../src/http/server.js';
import type { Readiness } from '../../src/http/readiness.js';
import { refusalHeaders } from '../../src/http/refusal-headers.js';
import { UnauthenticatedError } from '../../src/errors.js';
import { createLogger } from '../../src/telemetry/logger.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The bytes as they came over the wire (still compressed, if they were). */
  readonly raw: Buffer;
}

/** One request with node:http, which (unlike fetch) neither adds `Accept-Encoding` nor decodes the body. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, raw: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

function postJson(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return send(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
}

function decoded(answer: RawAnswer): string {
  const encoding = answer.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(answer.raw).toString('utf8');
  if (encoding === 'gzip') return gunzipSync(answer.raw).toString('utf8');
  if (encoding !== undefined) throw new Error(`unexpected content-encoding ${String(encoding)}`);
  return answer.raw.toString('utf8');
}

interface ListBody {
  data: { recommendations: { items: unknown[] } };
}

interface ErrorsBody {
  errors: Array<{ extensions: { code: string; retryAfterSeconds?: number } }>;
}

describe('WWW-Authenticate on 401 (auth on)', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({ AUTH_JWT_SECRET: SECRET, MODEL_WORKERS: '0' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('no credentials, or another scheme: a bare Bearer challenge, without an error code (RFC 6750 section 3.1)', async () => {
    const cases: Array<Record<string, string>> = [{}, { authorization: 'Basic dXNlcjpwYXNz' }];
    for (const headers of cases) {
      const answer = await postJson(gateway.url, READ_QUERY, { userId: 'u42', first: 1 }, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.headers['www-authenticate'], JSON.stringify(headers)).toBe('Bearer realm="recs-gateway"');
      expect((JSON.parse(decoded(answer)) as ErrorsBody).errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('a refused bearer token (expired, tampered, malformed): error="invalid_token", on POST and GET alike', async () => {
    const expired = await hsToken({ sub: 'u42', expiresIn: -600 });
    const tampered = tamperedSignature(await hsToken({ sub: 'u42' }));
    for (const authorization of [`Bearer ${expired}`, `Bearer ${tampered}`, 'Bearer not a token', 'bearer x.y.z']) {
      const post = await postJson(gateway.url, READ_QUERY, { userId: 'u42', first: 1 }, { authorization });
      expect(post.status, authorization).toBe(401);
      expect(post.headers['www-authenticate'], authorization).toBe(
        'Bearer realm="recs-gateway", error="invalid_token"',
      );
      const query = encodeURIComponent('{ recommendations(userId: "u42", first: 1) { userId } }');
      const get = await send(`${gateway.url}?query=${query}`, {
        headers: { authorization, 'apollo-require-preflight': 'true' },
      });
      expect(get.status, authorization).toBe(401);
      expect(get.headers['www-authenticate'], authorization).toBe('Bearer realm="recs-gateway", error="invalid_token"');
    }
  });

  it('a document the fast path knows, sent with a bad token, is still a 401 with the challenge; good answers carry none', async () => {
    const token = await hsToken({ sub: 'u42' });
    const good = await postJson(
      gateway.url,
      READ_QUERY,
      { userId: 'u42', first: 2 },
      { authorization: `Bearer ${token}` },
    );
    expect(good.status).toBe(200);
    expect(good.headers['www-authenticate']).toBeUndefined();
    const before = await fastPathOutcomes(gateway);
    const again = await postJson(
      gateway.url,
      READ_QUERY,
      { userId: 'u42', first: 2 },
      { authorization: `Bearer ${token}` },
    );
    expect(again.status).toBe(200);
    expect(again.headers['www-authenticate']).toBeUndefined();
    expect((await fastPathOutcomes(gateway)).served).toBe(before.served + 1);
    const refused = await postJson(
      gateway.url,
      READ_QUERY,
      { userId: 'u42', first: 2 },
      { authorization: 'Bearer x.y.z' },
    );
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="recs-gateway", error="invalid_token"');
  });

  it('the challenge rule on its own', () => {
    expect(bearerChallenge(undefined)).toBe('Bearer realm="recs-gateway"');
    expect(bearerChallenge('')).toBe('Bearer realm="recs-gateway"');
    expect(bearerChallenge('Basic abc')).toBe('Bearer realm="recs-gateway"');
    expect(bearerChallenge('Bearerabc')).toBe('Bearer realm="recs-gateway"');
    expect(bearerChallenge('Bearer')).toBe('Bearer realm="recs-gateway", error="invalid_token"');
    expect(bearerChallenge('BEARER abc')).toBe('Bearer realm="recs-gateway", error="invalid_token"');
  });
});

describe('Retry-After on RATE_LIMITED', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      AUTH_JWT_SECRET: SECRET,
      MODEL_WORKERS: '0',
      RATE_LIMIT_PURCHASES_PER_MINUTE: '1',
      RATE_LIMIT_COMPUTES_PER_MINUTE: '2',
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('an over-budget purchase: Retry-After equals extensions.retryAfterSeconds; the accepted one has none', async () => {
    const authorization = `Bearer ${await hsToken({ sub: 'checkout', scope: 'purchases:write' })}`;
    const first = await postJson(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'b1', itemId: 'i1', orderId: 'ra-1' } },
      { authorization },
    );
    expect(first.status).toBe(200);
    expect((JSON.parse(decoded(first)) as Partial<ErrorsBody>).errors).toBeUndefined();
    expect(first.headers['retry-after']).toBeUndefined();
    const second = await postJson(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'b1', itemId: 'i2', orderId: 'ra-2' } },
      { authorization },
    );
    const body = JSON.parse(decoded(second)) as ErrorsBody;
    expect(second.status).toBe(200);
    expect(body.errors[0]?.extensions.code).toBe('RATE_LIMITED');
    const seconds = body.errors[0]?.extensions.retryAfterSeconds;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(second.headers['retry-after']).toBe(String(seconds));
  });

  it('an over-budget read among aliases (model computes): the header is there too, as a whole number of seconds', async () => {
    const authorization = `Bearer ${await hsToken({ sub: 'reader', scope: 'recommendations:read:any' })}`;
    const answer = await postJson(gateway.url, aliasedReads(['c1', 'c2', 'c3']), {}, { authorization });
    const body = JSON.parse(decoded(answer)) as ErrorsBody;
    expect(body.errors.map((error) => error.extensions.code)).toEqual(['RATE_LIMITED']);
    expect(answer.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(Number(answer.headers['retry-after'])).toBe(body.errors[0]?.extensions.retryAfterSeconds);
  });

  it('several rate-limited errors: the longest wait; other errors or none: no header', () => {
    const limited = (seconds: unknown) => ({
      message: 'x',
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds },
    });
    expect(retryAfterSeconds([limited(3), limited(17), { message: 'y', extensions: { code: 'FORBIDDEN' } }])).toBe(17);
    expect(retryAfterSeconds([limited(2.2)])).toBe(3);
    expect(retryAfterSeconds([limited(undefined)])).toBe(1);
    expect(retryAfterSeconds([{ message: 'y', extensions: { code: 'FORBIDDEN' } }])).toBeUndefined();
    expect(retryAfterSeconds(undefined)).toBeUndefined();
  });
});

describe('compression', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MODEL_WORKERS: '0' });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('a large answer (100 items) is br or gzip as the client prefers, identity when it accepts neither', async () => {
    const variables = { userId: 'big', first: 100 };
    const plain = await postJson(gateway.url, READ_QUERY, variables);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const text = decoded(plain);
    expect(text.length).toBeGreaterThan(10_000);
    const items = (JSON.parse(text) as ListBody).data.recommendations.items;
    expect(items).toHaveLength(100);

    const cases: Array<[string, string | undefined]> = [
      ['br, gzip', 'br'],
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['identity', undefined],
      ['deflate', undefined],
    ];
    for (const [acceptEncoding, expected] of cases) {
      const answer = await postJson(gateway.url, READ_QUERY, variables, { 'accept-encoding': acceptEncoding });
      expect(answer.status, acceptEncoding).toBe(200);
      expect(answer.headers['content-encoding'], acceptEncoding).toBe(expected);
      if (expected !== undefined) {
        expect(answer.headers.vary, acceptEncoding).toMatch(/accept-encoding/i);
        expect(answer.raw.length, acceptEncoding).toBeLessThan(text.length / 3);
      }
      // The same list (the cache answered every time after the first), whatever the encoding.
      expect((JSON.parse(decoded(answer)) as ListBody).data.recommendations.items, acceptEncoding).toEqual(items);
    }
  });

  it('a typical hit (20 items) stays below the threshold: uncompressed, answered by the fast path', async () => {
    const variables = { userId: 'typical', first: 20 };
    await postJson(gateway.url, READ_QUERY, variables);
    const before = await fastPathOutcomes(gateway);
    const hit = await postJson(gateway.url, READ_QUERY, variables, { 'accept-encoding': 'gzip, deflate, br' });
    expect(hit.status).toBe(200);
    expect(hit.headers['content-encoding']).toBeUndefined();
    expect(hit.raw.length).toBeGreaterThan(2000);
    expect(hit.raw.length).toBeLessThan(gateway.app.config.compressionMinBytes);
    expect(hit.headers['cache-status']).toMatch(/hit/);
    const after = await fastPathOutcomes(gateway);
    expect(after.served).toBe(before.served + 1);
    expect(after.passed).toBe(before.passed);
  });

  it('a large hit answered by the fast path is compressed too', async () => {
    const variables = { userId: 'big-fast', first: 100 };
    await postJson(gateway.url, READ_QUERY, variables);
    const before = await fastPathOutcomes(gateway);
    const answer = await postJson(gateway.url, READ_QUERY, variables, { 'accept-encoding': 'br' });
    expect((await fastPathOutcomes(gateway)).served).toBe(before.served + 1);
    expect(answer.headers['content-encoding']).toBe('br');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect((JSON.parse(decoded(answer)) as ListBody).data.recommendations.items).toHaveLength(100);
  });

  it('the IDE bundle is sent compressed, and decodes to the very bytes sent uncompressed', async () => {
    const url = `${gateway.origin}/graphql/ide/graphiql.min.js`;
    const plain = await send(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    for (const encoding of ['br', 'gzip']) {
      const answer = await send(url, { headers: { 'accept-encoding': encoding } });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe(encoding);
      expect(answer.headers['content-type']).toMatch(/^text\/javascript/);
      expect(answer.raw.length).toBeLessThan(plain.raw.length / 3);
      expect(decoded(answer)).toBe(plain.raw.toString('utf8'));
      console.log(`graphiql.min.js: ${plain.raw.length} bytes, ${encoding} ${answer.raw.length} bytes`);
    }
  });

  it('small answers are never compressed, and compressed request bodies are not inflated', async () => {
    const health = await send(`${gateway.origin}/healthz`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(health.status).toBe(200);
    expect(health.headers['content-encoding']).toBeUndefined();
    // A valid request, gzipped: inflated it would answer 200; read as the bytes it is, it is not JSON.
    const gzipped = await send(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ query: '{ __typename }' })),
    });
    expect(gzipped.status).toBe(400);
  });
});

describe('refusals while the context is built (Apollo runs no plugin for them)', () => {
  let http: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    const apollo = await createApolloServer({
      schemaPath: fileURLToPath(new URL('../../schema.graphql', import.meta.url)),
      maxFirst: 100,
      production: false,
      introspection: true,
      responseEffects: [noStoreEffect, mediaTypeEffect()],
      plugins: [],
      persistedQueries: { cache: new InMemoryLRUCache<string>(), ttlSeconds: 60 },
    });
    await apollo.start();
    // A context that refuses every request, the way a budget checked per request would (x-refuse picks how).
    const refusal = (how: string | string[] | undefined): Error =>
      how === 'rate'
        ? new GraphQLError('Rate limited: too many requests; retry after 7 s', {
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 7, http: { status: 429 } },
          })
        : new UnauthenticatedError('the token is not valid');
    http = await createHttpServer({
      apollo,
      context: async (request) => {
        throw refusal(request.headers['x-refuse']);
      },
      // Never asked: this server's /readyz is not used here.
      readiness: { check: async () => ({ ready: true }) } as unknown as Readiness,
      logger: createLogger('silent'),
      metrics: { contentType: 'text/plain', render: async () => '' },
      bodyLimit: 64 * 1024,
      corsOrigins: [],
      compressionMinBytes: 4096,
    });
    const address = await http.listen({ port: 0, host: '127.0.0.1' });
    url = `${address}/graphql`;
  });
  afterAll(async () => {
    await http?.close();
  });

  it('RATE_LIMITED from the context: Retry-After from retryAfterSeconds; a 401 from it: the challenge', async () => {
    const limited = await postJson(url, '{ __typename }', {}, { 'x-refuse': 'rate' });
    expect(limited.status).toBe(429);
    expect((JSON.parse(decoded(limited)) as ErrorsBody).errors[0]?.extensions.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.headers['www-authenticate']).toBeUndefined();

    const refused = await postJson(url, '{ __typename }', {}, { authorization: 'Bearer a.b.c' });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="recs-gateway", error="invalid_token"');
    expect(refused.headers['retry-after']).toBeUndefined();
  });

  it('the rule on its own: nothing for errors that are neither', () => {
    expect(refusalHeaders(new Error('boom'), undefined)).toEqual([]);
    expect(refusalHeaders(new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } }), undefined)).toEqual([]);
    expect(refusalHeaders(new UnauthenticatedError('a bearer token is required'), undefined)).toEqual([
      ['www-authenticate', 'Bearer realm="recs-gateway"'],
    ]);
  });
});
