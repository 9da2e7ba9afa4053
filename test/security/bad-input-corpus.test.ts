/**
 * The bad-input corpus: every case is one request a client could send, with the HTTP status and the
 * error code it gets (GraphQL `extensions.code`, Fastify's `code` for what never reaches GraphQL, null where the body
 * carries none). The gateway runs as in production (auth on, introspection off, masked errors) over its own Redis;
 * the `trusted` cases go to a second one on the same Redis that runs only its manifest (TRUSTED_DOCUMENTS_ONLY=true).
 * After the whole corpus: the process still answers, a normal read is served from the cache unchanged, Redis holds
 * exactly the keys and values it held before, and the model was never called.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, CountingModel, keysOn } from '../gateway/helpers.js';
import {
  PURCHASE_MUTATION,
  PURGE_MUTATION,
  READ_QUERY,
  SECRET,
  aliasedReads,
  forgedToken,
  gql,
  hsToken,
  readResponse,
  tamperedSignature,
  unsignedToken,
} from './helpers.js';
import { waitFor } from '../support/wait.js';

const JSON_TYPE = 'application/json';
const GRAPHQL_ACCEPT = 'application/graphql-response+json, application/json';

type Layer = 'http' | 'auth' | 'graphql' | 'variables' | 'ids' | 'permissions' | 'items' | 'tokens' | 'apq' | 'trusted';

interface Case {
  readonly name: string;
  readonly layer: Layer;
  /** Default POST. */
  readonly method?: string;
  /** Appended to the GraphQL URL, e.g. `?query=…`; or a whole other path starting with `/`. */
  readonly path?: string;
  /** Replaces the default headers of the same name; null removes one. */
  readonly headers?: Record<string, string | null>;
  readonly body?: string | Uint8Array;
  /** Sent over a raw socket instead of fetch (for requests fetch refuses to send). */
  readonly raw?: string;
  readonly status: number;
  readonly code: string | null;
  /** `trusted`: the second gateway, which runs only the manifest's documents (TRUSTED_DOCUMENTS_ONLY=true). */
  readonly target?: 'trusted';
}

const op = (query: string, variables?: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ query, variables, ...extra });
const read = (userId: unknown, first?: unknown): string =>
  op(READ_QUERY, first === undefined ? { userId } : { userId, first });
const buy = (input: unknown): string => op(PURCHASE_MUTATION, { input });
const getQuery = (query: string, variables?: unknown): string =>
  `?query=${encodeURIComponent(query)}${variables === undefined ? '' : `&variables=${encodeURIComponent(JSON.stringify(variables))}`}`;
const PREFLIGHT = { 'apollo-require-preflight': 'true' };

const tokens = {
  service: await hsToken({ sub: 'corpus-service', scope: 'recommendations:read:any purchases:write admin' }),
  user: await hsToken({ sub: 'corpus-user' }),
  checkout: await hsToken({ sub: 'corpus-checkout', scope: 'purchases:write' }),
  expired: await hsToken({ sub: 'corpus-service', scope: 'admin', expiresIn: -120 }),
  otherKey: await hsToken({ sub: 'corpus-service', scope: 'admin', secret: 'a-different-secret-of-at-least-32-bytes' }),
  hs512: await hsToken({ sub: 'corpus-service', scope: 'admin', alg: 'HS512' }),
  noSub: await hsToken({ sub: '', scope: 'admin' }),
  notYet: await hsToken({ sub: 'corpus-service', scope: 'admin', notBefore: 600 }),
  readAny: await hsToken({ sub: 'corpus-reader', scope: 'recommendations:read:any' }),
  keep2: await hsToken({ sub: 'keep-2' }),
  noExp: await hsToken({ sub: 'corpus-service', scope: 'admin', noExpiry: true }),
  noExpNoIat: await hsToken({ sub: 'corpus-service', scope: 'admin', noExpiry: true, noIssuedAt: true }),
  year: await hsToken({ sub: 'corpus-service', scope: 'admin', expiresIn: 365 * 24 * 3600 }),
  day1h: await hsToken({ sub: 'corpus-service', scope: 'admin', expiresIn: 25 * 3600 }),
  backdated: await hsToken({ sub: 'corpus-service', scope: 'admin', issuedAt: -2 * 24 * 3600, expiresIn: 3600 }),
  noIatYear: await hsToken({ sub: 'corpus-service', scope: 'admin', noIssuedAt: true, expiresIn: 365 * 24 * 3600 }),
  expString: await hsToken({
    sub: 'corpus-service',
    scope: 'admin',
    noExpiry: true,
    extra: { ['exp' as string]: 'never' },
  }),
  expHuge: await hsToken({ sub: 'corpus-service', scope: 'admin', noExpiry: true, extra: { exp: 1e20 } }),
};
/** `recordPurchase` for keep-2 by the checkout token, selecting the payload's list in some disguise. */
const peek = (selection: string, fragments = '', orderId = 'peek-order'): string =>
  op(
    `mutation Peek { recordPurchase(input: {userId: "keep-2", itemId: "i1", orderId: "${orderId}"}) { ${selection} } } ${fragments}`,
  );
const buyItem = (itemId: string): string =>
  buy({ userId: 'keep-2', itemId, orderId: `unknown-item-${itemId.length}-${itemId.charCodeAt(0)}` });
const typenames = (count: number): string =>
  Array.from({ length: count }, (_, index) => `t${index}: __typename`).join(' ');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** A valid document of about `bytes` bytes (a comment, free for the token limit, then a query). */
const padded = (name: string, bytes: number): string => `# ${'x'.repeat(bytes)}\nquery ${name} { __typename }`;
const register = (query: string, hash = sha256(query)): string =>
  JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
const byHash = (hash: unknown, variables?: unknown): string =>
  JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
/** The trusted gateway's manifest, in the client-preset format (sha1 ids); it touches no data, so Redis stays as it was. */
const TRUSTED_READ = 'query TrustedTypename { __typename }';
const TRUSTED_ID = createHash('sha1').update(TRUSTED_READ).digest('hex');
const auth = (value: string | null): Record<string, string | null> => ({ authorization: value });

const CORPUS: readonly Case[] = [
  // HTTP: bodies and content types (Fastify answers before GraphQL sees anything).
  {
    layer: 'http',
    name: 'malformed JSON (truncated)',
    body: '{"query": ',
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'JSON with trailing garbage',
    body: '{"query":"{ __typename }"} trailing',
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'single-quoted pseudo-JSON',
    body: "{'query': '{ __typename }'}",
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'JSON with a raw control character in a string',
    body: '{"query":"{ __typename \u0001 }"}',
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'invalid UTF-8 bytes',
    body: new Uint8Array([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d]),
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'empty body with JSON content type',
    body: '',
    status: 400,
    code: 'FST_ERR_CTP_EMPTY_JSON_BODY',
  },
  { layer: 'http', name: 'whitespace-only body', body: '   \n ', status: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' },
  {
    layer: 'http',
    name: '__proto__ key (prototype pollution)',
    body: '{"query":"{ __typename }","__proto__":{"admin":true}}',
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'constructor.prototype key (prototype pollution)',
    body: '{"query":"{ __typename }","constructor":{"prototype":{"admin":true}}}',
    status: 400,
    code: 'FST_ERR_CTP_INVALID_JSON_BODY',
  },
  {
    layer: 'http',
    name: 'text/plain body (CSRF-simple content type)',
    headers: { 'content-type': 'text/plain' },
    body: read('keep-1'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'application/x-www-form-urlencoded',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'query=%7B__typename%7D',
    status: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  },
  {
    layer: 'http',
    name: 'multipart/form-data',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ __typename }\r\n--x--\r\n',
    status: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  },
  {
    layer: 'http',
    name: 'application/graphql (a raw document)',
    headers: { 'content-type': 'application/graphql' },
    body: '{ __typename }',
    status: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  },
  {
    layer: 'http',
    name: 'application/xml',
    headers: { 'content-type': 'application/xml' },
    body: '<query/>',
    status: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  },
  {
    layer: 'http',
    name: 'no content type at all',
    headers: { 'content-type': null },
    body: new TextEncoder().encode(op('{ __typename }')),
    status: 415,
    code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  },
  // A batch of up to 100 gets one refusal per operation (test/e2e/clients.test.ts); a larger one a single error.
  {
    layer: 'http',
    name: 'batched operations (JSON array body of 101)',
    body: JSON.stringify(Array.from({ length: 101 }, () => ({ query: '{ __typename }' }))),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { layer: 'http', name: 'empty JSON object', body: '{}', status: 400, code: 'BAD_REQUEST' },
  { layer: 'http', name: 'JSON string body', body: '"{ __typename }"', status: 400, code: 'BAD_REQUEST' },
  { layer: 'http', name: 'JSON null body', body: 'null', status: 400, code: 'BAD_REQUEST' },
  { layer: 'http', name: 'JSON number body', body: '42', status: 400, code: 'BAD_REQUEST' },
  {
    layer: 'http',
    name: 'body of 64 KiB + 1 byte',
    body: op('{ __typename }', { pad: 'x'.repeat(64 * 1024) }),
    status: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  },
  {
    layer: 'http',
    name: 'body of 2 MiB',
    body: op('{ __typename }', { pad: 'x'.repeat(2 * 1024 * 1024) }),
    status: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  },
  {
    layer: 'http',
    name: 'Accept: application/xml only',
    headers: { accept: 'application/xml' },
    body: op('{ __typename }'),
    status: 406,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'a 20 KB header',
    headers: { 'x-padding': 'p'.repeat(20_000) },
    body: op('{ __typename }'),
    status: 431,
    code: null,
  },
  { layer: 'http', name: 'PUT', method: 'PUT', body: op('{ __typename }'), status: 404, code: null },
  { layer: 'http', name: 'PATCH', method: 'PATCH', body: op('{ __typename }'), status: 404, code: null },
  {
    layer: 'http',
    name: 'DELETE without a body',
    method: 'DELETE',
    headers: { 'content-type': null },
    status: 404,
    code: null,
  },
  // HEAD is routed with GET; Apollo refuses it (no body to read a code from).
  { layer: 'http', name: 'HEAD', method: 'HEAD', headers: { 'content-type': null }, status: 405, code: null },
  {
    layer: 'http',
    name: 'HEAD with a preflight header',
    method: 'HEAD',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: getQuery('{ __typename }'),
    status: 405,
    code: null,
  },
  {
    layer: 'http',
    name: 'OPTIONS (no CORS origins configured)',
    method: 'OPTIONS',
    headers: { 'content-type': null },
    status: 404,
    code: null,
  },
  { layer: 'http', name: 'unknown path', path: '/graphql-admin', body: op('{ __typename }'), status: 404, code: null },
  // CSRF prevention is off (docs/security.md): a plain GET query is answered like any other; the token is checked.
  {
    layer: 'http',
    name: 'GET query without a preflight header',
    method: 'GET',
    headers: { 'content-type': null },
    path: getQuery('{ __typename }'),
    status: 200,
    code: null,
  },
  {
    layer: 'http',
    name: 'GET query without a token',
    method: 'GET',
    headers: { 'content-type': null, authorization: null },
    path: getQuery('{ __typename }'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'http',
    name: 'GET mutation',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: getQuery(`mutation { purgeModelVersion(modelVersion: "v1") { removed } }`),
    status: 405,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'GET recordPurchase mutation',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: getQuery(PURCHASE_MUTATION, { input: { userId: 'keep-1', itemId: 'i1', orderId: 'get-order' } }),
    status: 405,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'GET with a text/plain content type',
    method: 'GET',
    headers: { 'content-type': 'text/plain', ...PREFLIGHT },
    path: getQuery('{ __typename }'),
    status: 415,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'GET with malformed variables JSON',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: `${getQuery(READ_QUERY)}&variables=%7Bnope`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'GET with the query parameter twice',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: `${getQuery('{ __typename }')}&query=%7B__typename%7D`,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'http',
    name: 'GET without a query',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: '?foo=1',
    status: 400,
    code: 'BAD_REQUEST',
  },
  { layer: 'http', name: 'malformed HTTP request line', raw: 'GARBAGE\r\n\r\n', status: 400, code: null },
  {
    layer: 'http',
    name: 'header with a space in its name',
    raw: 'POST /graphql HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nContent-Length: 0\r\n\r\n',
    status: 400,
    code: null,
  },
  {
    layer: 'http',
    name: 'Content-Length larger than the body limit (no body sent)',
    raw: 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n',
    status: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  },

  // GraphQL request shape (Apollo's BAD_REQUEST: not a well-formed GraphQL-over-HTTP request).
  {
    layer: 'graphql',
    name: 'query is a number',
    body: JSON.stringify({ query: 42 }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'graphql',
    name: 'query is an object',
    body: JSON.stringify({ query: { kind: 'Document' } }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { layer: 'graphql', name: 'query is empty', body: JSON.stringify({ query: '' }), status: 400, code: 'BAD_REQUEST' },
  {
    layer: 'graphql',
    name: 'operationName is a number',
    body: JSON.stringify({ query: '{ __typename }', operationName: 7 }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'graphql',
    name: 'extensions is a string',
    body: JSON.stringify({ query: '{ __typename }', extensions: 'x' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'graphql',
    name: 'persisted query with an unknown hash',
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'graphql',
    name: 'persisted query whose hash does not match the document',
    body: JSON.stringify({
      query: '{ __typename }',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } },
    }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'graphql',
    name: 'persisted query version 2',
    body: JSON.stringify({ extensions: { persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } } }),
    status: 400,
    code: 'BAD_REQUEST',
  },

  // GraphQL documents: parse and validation.
  {
    layer: 'graphql',
    name: 'syntax error',
    body: op('{ recommendations(userId: "keep-1" { userId } }'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    layer: 'graphql',
    name: 'syntax error, Accept: application/json only',
    headers: { accept: JSON_TYPE },
    body: op('{ recommendations('),
    status: 200,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    layer: 'graphql',
    name: 'unterminated string',
    body: op('{ recommendations(userId: "keep-1) { userId } }'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    layer: 'graphql',
    name: 'null byte in the document',
    body: op('{ __typename \u0000 }'),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    layer: 'graphql',
    name: '5,000 nested braces',
    body: op(`${'{'.repeat(5_000)}${'}'.repeat(5_000)}`),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    layer: 'graphql',
    name: 'more than 10,000 tokens',
    body: op(`{${' a'.repeat(10_001)} }`),
    status: 400,
    code: 'GRAPHQL_PARSE_FAILED',
  },
  {
    layer: 'graphql',
    name: 'depth 9 (nested inline fragments)',
    body: op(`{ ${'... { '.repeat(5)}recommendations(userId: "keep-1") { items { item { id } } }${' }'.repeat(5)} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 aliases',
    body: op(aliasedReads(Array.from({ length: 101 }, (_, index) => `alias-${index}`))),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 aliases, Accept: application/json only',
    headers: { accept: JSON_TYPE },
    body: op(aliasedReads(Array.from({ length: 101 }, (_, index) => `alias-${index}`))),
    status: 200,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '5,000 identical fields (merge blow-up)',
    body: op(`{${' __typename'.repeat(5_000)} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'unknown field',
    body: op('{ users { id } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'unknown argument',
    body: op('{ recommendations(userId: "keep-1", where: "1=1") { userId } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'missing required argument',
    body: op('{ recommendations { userId } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'object field without a selection',
    body: op('{ recommendations(userId: "keep-1") }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'selection on a scalar',
    body: op('{ recommendations(userId: "keep-1") { userId { id } } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'unknown type in a variable definition',
    body: op('query Q($u: UserId!) { recommendations(userId: $u) { userId } }', { u: 'keep-1' }),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'undefined variable',
    body: op('{ recommendations(userId: $u) { userId } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'unknown fragment',
    body: op('{ ...Missing }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'fragment cycle',
    body: op('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'unknown directive',
    body: op('{ __typename @admin }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'subscription (none in the schema)',
    body: op('subscription { recommendations(userId: "keep-1") { userId } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'introspection in production',
    body: op('{ __schema { types { name } } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'first as a literal beyond 32 bits',
    body: op('{ recommendations(userId: "keep-1", first: 99999999999) { userId } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'first as a float literal',
    body: op('{ recommendations(userId: "keep-1", first: 1.5) { userId } }'),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: 'operationName matching no operation',
    body: op(READ_QUERY, { userId: 'keep-1' }, { operationName: 'DropTables' }),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    layer: 'graphql',
    name: 'two operations, no operationName',
    body: op('query A { __typename } query B { __typename }'),
    status: 400,
    code: 'OPERATION_RESOLUTION_FAILURE',
  },
  {
    layer: 'graphql',
    name: 'duplicate operation names',
    body: op('query A { __typename } query A { __typename }', undefined, { operationName: 'A' }),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },

  // Variables.
  {
    layer: 'variables',
    name: 'variables is a string',
    body: JSON.stringify({ query: READ_QUERY, variables: '{"userId":"keep-1"}' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'variables',
    name: 'variables is an array',
    body: JSON.stringify({ query: READ_QUERY, variables: ['keep-1'] }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'variables',
    name: 'variables is a number',
    body: JSON.stringify({ query: READ_QUERY, variables: 1 }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'variables',
    name: 'required variable missing',
    body: op(READ_QUERY, {}),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'variables', name: 'userId null', body: read(null), status: 400, code: 'BAD_USER_INPUT' },
  { layer: 'variables', name: 'userId an object', body: read({ $ne: null }), status: 400, code: 'BAD_USER_INPUT' },
  {
    layer: 'variables',
    name: 'userId an array',
    body: read(['keep-1', 'keep-2']),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'variables', name: 'userId a boolean', body: read(true), status: 400, code: 'BAD_USER_INPUT' },
  {
    layer: 'variables',
    name: 'userId nested 5,000 arrays deep',
    body: `{"query":${JSON.stringify(READ_QUERY)},"variables":{"userId":${'['.repeat(5_000)}${']'.repeat(5_000)}}}`,
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'variables', name: 'first a string', body: read('keep-1', 'ten'), status: 400, code: 'BAD_USER_INPUT' },
  { layer: 'variables', name: 'first a float', body: read('keep-1', 2.5), status: 400, code: 'BAD_USER_INPUT' },
  { layer: 'variables', name: 'first 2^40', body: read('keep-1', 2 ** 40), status: 400, code: 'BAD_USER_INPUT' },
  {
    layer: 'variables',
    name: 'first a wrong type, Accept: application/json only',
    headers: { accept: JSON_TYPE },
    body: read('keep-1', 'ten'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'variables', name: 'first 0', body: read('keep-1', 0), status: 200, code: 'BAD_USER_INPUT' },
  { layer: 'variables', name: 'first -1', body: read('keep-1', -1), status: 200, code: 'BAD_USER_INPUT' },
  { layer: 'variables', name: 'first 101', body: read('keep-1', 101), status: 200, code: 'BAD_USER_INPUT' },
  { layer: 'variables', name: 'first -2^31', body: read('keep-1', -(2 ** 31)), status: 200, code: 'BAD_USER_INPUT' },
  {
    layer: 'variables',
    name: 'purchase input missing orderId',
    body: buy({ userId: 'keep-1', itemId: 'i1' }),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'variables',
    name: 'purchase input with an extra field',
    body: buy({ userId: 'keep-1', itemId: 'i1', orderId: 'o1', price: -1 }),
    status: 400,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'variables',
    name: 'purchase input a string',
    body: buy('keep-1,i1,o1'),
    status: 400,
    code: 'BAD_USER_INPUT',
  },

  // Ids: held to 1-128 characters of [A-Za-z0-9_.:@-] before any cache or model work.
  { layer: 'ids', name: 'userId with a null byte', body: read('keep-1\u0000'), status: 200, code: 'BAD_USER_INPUT' },
  {
    layer: 'ids',
    name: 'userId with a bell and an escape character',
    body: read('keep\u0007\u001b[31m'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'userId with CRLF (log or header injection)',
    body: read('keep-1\r\nSet-Cookie: x=1'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'userId with a right-to-left override',
    body: read('keep-\u202e1-peek'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'userId with a zero-width joiner',
    body: read('keep\u200d-1'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'ids', name: 'userId an emoji', body: read('🙂'), status: 200, code: 'BAD_USER_INPUT' },
  {
    layer: 'ids',
    name: 'userId with a lone surrogate',
    body: '{"query":' + JSON.stringify(READ_QUERY) + ',"variables":{"userId":"keep-\\ud800"}}',
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'userId with full-width letters',
    body: read('ｋｅｅｐ－１'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'ids', name: 'userId SQL-ish', body: read("1' OR '1'='1"), status: 200, code: 'BAD_USER_INPUT' },
  { layer: 'ids', name: 'userId SQL comment', body: read('keep-1;--'), status: 200, code: 'BAD_USER_INPUT' },
  {
    layer: 'ids',
    name: 'userId forging a hash tag ({braces})',
    body: read('{keep-1}'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'userId forging a key boundary',
    body: read('keep-1}:v1'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'ids', name: 'userId a glob pattern', body: read('*'), status: 200, code: 'BAD_USER_INPUT' },
  {
    layer: 'ids',
    name: 'userId a path traversal',
    body: read('../../etc/passwd'),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  { layer: 'ids', name: 'userId with a space', body: read('keep 1'), status: 200, code: 'BAD_USER_INPUT' },
  { layer: 'ids', name: 'userId empty', body: read(''), status: 200, code: 'BAD_USER_INPUT' },
  { layer: 'ids', name: 'userId of 129 characters', body: read('k'.repeat(129)), status: 200, code: 'BAD_USER_INPUT' },
  {
    layer: 'ids',
    name: 'userId of 60,000 characters',
    body: read('k'.repeat(60_000)),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'orderId with braces',
    body: buy({ userId: 'keep-1', itemId: 'i1', orderId: '{o}' }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'itemId with a null byte',
    body: buy({ userId: 'keep-1', itemId: 'i\u00001', orderId: 'o-null' }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'purchase userId with a newline',
    body: buy({ userId: 'keep-1\n', itemId: 'i1', orderId: 'o-nl' }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'modelVersion a glob',
    body: op(PURGE_MUTATION, { v: '*' }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },
  {
    layer: 'ids',
    name: 'modelVersion a path traversal',
    body: op(PURGE_MUTATION, { v: '../v1' }),
    status: 200,
    code: 'BAD_USER_INPUT',
  },

  // Authentication and authorization.
  {
    layer: 'auth',
    name: 'no Authorization header',
    headers: auth(null),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'Basic credentials',
    headers: auth(`Basic ${Buffer.from('admin:admin').toString('base64')}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'Bearer and nothing else',
    headers: auth('Bearer '),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'Bearer garbage',
    headers: auth('Bearer not-a-jwt'),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'Bearer with base64 padding and slashes',
    headers: auth('Bearer abc/def+ghi=='),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'an expired token',
    headers: auth(`Bearer ${tokens.expired}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'a token not valid yet',
    headers: auth(`Bearer ${tokens.notYet}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'a forged payload (user token turned admin)',
    headers: auth(`Bearer ${forgedToken(tokens.user, 'corpus-service', 'admin')}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'a wrongly signed token (signature changed)',
    headers: auth(`Bearer ${tamperedSignature(tokens.service)}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'a token signed with another key',
    headers: auth(`Bearer ${tokens.otherKey}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'an alg: none token',
    headers: auth(`Bearer ${unsignedToken('corpus-service', 'admin')}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'an HS512 token (algorithm not allowed)',
    headers: auth(`Bearer ${tokens.hs512}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'a token without a subject',
    headers: auth(`Bearer ${tokens.noSub}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'a 9,000-character token',
    headers: auth(`Bearer ${'t'.repeat(9_000)}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: 'no token, Accept: application/json only (still 401)',
    headers: { ...auth(null), accept: JSON_TYPE },
    body: op('{ nope }'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'auth',
    name: "a user token reading another user's list",
    headers: auth(`Bearer ${tokens.user}`),
    body: read('keep-1'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'auth',
    name: 'a user token recording a purchase',
    headers: auth(`Bearer ${tokens.user}`),
    body: buy({ userId: 'corpus-user', itemId: 'i1', orderId: 'forbidden-order' }),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'auth',
    name: 'a checkout token purging a version',
    headers: auth(`Bearer ${tokens.checkout}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 200,
    code: 'FORBIDDEN',
  },

  // Field permissions: the purchase payload's list follows the read rule (own user, read:any, admin).
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('recommendations { items { item { id title } } }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list under an alias",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('peek: recommendations { userId }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list in an inline fragment",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('... on RecordPurchasePayload { recommendations { userId } }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list in a named fragment",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('...P', 'fragment P on RecordPurchasePayload { recommendations { userId } }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list two fragments deep",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek(
      '...A',
      'fragment A on RecordPurchasePayload { ...B } fragment B on RecordPurchasePayload { recommendations { userId } }',
    ),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list under @skip(if: true)",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('recommendations @skip(if: true) { userId }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "purchases:write selecting the payload's list only as __typename",
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('recommendations { __typename }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'purchases:write replaying a recorded orderId to read the list (duplicate: true)',
    headers: auth(`Bearer ${tokens.checkout}`),
    body: peek('duplicate recommendations { items { item { id } } }', '', 'keep-order'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'purchases:write with the mutation aliased twice, one selecting the list',
    headers: auth(`Bearer ${tokens.checkout}`),
    body: op(
      'mutation { a: recordPurchase(input: {userId: "keep-2", itemId: "i1", orderId: "keep-order"}) { recommendations { userId } } b: recordPurchase(input: {userId: "keep-2", itemId: "i1", orderId: "keep-order"}) { duplicate } }',
    ),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'purchases:write reading a list directly',
    headers: auth(`Bearer ${tokens.checkout}`),
    body: read('keep-1'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'recommendations:read:any recording a purchase',
    headers: auth(`Bearer ${tokens.readAny}`),
    body: buy({ userId: 'keep-2', itemId: 'i1', orderId: 'reader-order' }),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'recommendations:read:any purging a version',
    headers: auth(`Bearer ${tokens.readAny}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'a user token buying for itself with the list',
    headers: auth(`Bearer ${tokens.keep2}`),
    body: peek('recommendations { userId }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "a user token reading another user's list under an alias",
    headers: auth(`Bearer ${tokens.user}`),
    body: op('{ mine: recommendations(userId: "keep-1", first: 1) { userId } }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: "a user token reading another user's list in a fragment",
    headers: auth(`Bearer ${tokens.user}`),
    body: op('{ ...F } fragment F on Query { recommendations(userId: "keep-1", first: 1) { userId } }'),
    status: 200,
    code: 'FORBIDDEN',
  },
  {
    layer: 'permissions',
    name: 'a user token purging a version',
    headers: auth(`Bearer ${tokens.user}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 200,
    code: 'FORBIDDEN',
  },

  // Purchases of items the built-in catalogue does not know: BAD_USER_INPUT, nothing claimed or stored.
  ...[
    'x',
    'i10000',
    'i-1',
    'i01',
    'I1',
    'sku-1',
    'i1.0',
    'i1e3',
    'i0x1',
    '0',
    'item:1',
    '@i1',
    'i99999999999999999999',
    'i' + '9'.repeat(127),
  ].map((itemId): Case => ({
    layer: 'items',
    name: `unknown item ${JSON.stringify(itemId.length > 20 ? `${itemId.slice(0, 12)}… (${itemId.length})` : itemId)}`,
    body: buyItem(itemId),
    status: 200,
    code: 'BAD_USER_INPUT',
  })),
  {
    layer: 'items',
    name: 'unknown item with the payload list selected (admin)',
    body: op(
      'mutation { recordPurchase(input: {userId: "keep-2", itemId: "nope", orderId: "keep-order"}) { recommendations { userId } } }',
    ),
    status: 200,
    code: 'BAD_USER_INPUT',
  },

  // Tokens: exp required, lifetime bounded (24 h), the scheme case-insensitive.
  {
    layer: 'tokens',
    name: 'a token without exp',
    headers: auth(`Bearer ${tokens.noExp}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token without exp or iat',
    headers: auth(`Bearer ${tokens.noExpNoIat}`),
    body: op(PURGE_MUTATION, { v: 'v1' }),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token valid for a year',
    headers: auth(`Bearer ${tokens.year}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token valid for 25 hours',
    headers: auth(`Bearer ${tokens.day1h}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token issued two days ago with an hour left',
    headers: auth(`Bearer ${tokens.backdated}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token without iat valid for a year',
    headers: auth(`Bearer ${tokens.noIatYear}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token whose exp is a string',
    headers: auth(`Bearer ${tokens.expString}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token whose exp is 1e20',
    headers: auth(`Bearer ${tokens.expHuge}`),
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'a token without exp, Accept: application/json only',
    headers: { ...auth(`Bearer ${tokens.noExp}`), accept: JSON_TYPE },
    body: read('keep-1'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'lowercase bearer scheme (accepted, RFC 9110)',
    headers: auth(`bearer ${tokens.service}`),
    body: op('{ __typename }'),
    status: 200,
    code: null,
  },
  {
    layer: 'tokens',
    name: 'uppercase BEARER scheme (accepted)',
    headers: auth(`BEARER ${tokens.service}`),
    body: op('{ __typename }'),
    status: 200,
    code: null,
  },
  {
    layer: 'tokens',
    name: 'lowercase bearer with a token without exp',
    headers: auth(`bearer ${tokens.noExp}`),
    body: op('{ __typename }'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'Bearer with two spaces',
    headers: auth(`Bearer  ${tokens.service}`),
    body: op('{ __typename }'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'Bearer with a tab',
    headers: auth(`Bearer\t${tokens.service}`),
    body: op('{ __typename }'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    layer: 'tokens',
    name: 'Bearer: with a colon',
    headers: auth(`Bearer:${tokens.service}`),
    body: op('{ __typename }'),
    status: 401,
    code: 'UNAUTHENTICATED',
  },

  // __typename aliases count toward the alias limit of 100.
  {
    layer: 'graphql',
    name: '100 __typename aliases (the limit)',
    body: op(`{ ${typenames(100)} }`),
    status: 200,
    code: null,
  },
  {
    layer: 'graphql',
    name: '101 __typename aliases',
    body: op(`{ ${typenames(101)} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '1,000 __typename aliases',
    body: op(`{ ${typenames(1_000)} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 __typename aliases inside a list',
    body: op(`{ recommendations(userId: "keep-1", first: 1) { ${typenames(101)} } }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 __typename aliases through a fragment used twice',
    body: op(`{ ...T ... on Query { ...T } } fragment T on Query { ${typenames(51)} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 aliases named __typename (alias equal to the field)',
    body: op(`{ ${Array.from({ length: 101 }, () => '__typename: __typename').join(' ')} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 __typename aliases in a mutation',
    body: op(`mutation { ${typenames(101)} }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },
  {
    layer: 'graphql',
    name: '101 __typename aliases, Accept: application/json only',
    headers: { accept: JSON_TYPE },
    body: op(`{ ${typenames(101)} }`),
    status: 200,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },

  // Automatic persisted queries: registrations over a bound are answered but not stored.
  {
    layer: 'apq',
    name: 'registering a 17 KB document (over APQ_MAX_DOCUMENT_BYTES)',
    body: register(padded('Big17', 17_000)),
    status: 200,
    code: null,
  },
  {
    layer: 'apq',
    name: 'registering a 60 KB document',
    body: register(padded('Big60', 60_000)),
    status: 200,
    code: null,
  },
  {
    layer: 'apq',
    name: 'hash-only request for the refused 17 KB document',
    body: byHash(sha256(padded('Big17', 17_000))),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'apq',
    name: 'hash of 300 characters',
    body: byHash('a'.repeat(300)),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'apq',
    name: 'hash in upper case',
    body: byHash(sha256('{ __typename }').toUpperCase()),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'apq',
    name: 'hash with a Redis key separator',
    body: byHash('recs:{keep-1}:v1'),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'apq',
    name: 'hash naming an order key',
    body: byHash('../order:keep-order'),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'apq',
    name: 'registering under the hash of another document',
    body: register(padded('Liar', 10), sha256('{ __typename }')),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    layer: 'apq',
    name: 'registering an invalid document of 17 KB',
    body: register(`# ${'x'.repeat(17_000)}\n{ nope }`),
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
  },

  // Trusted documents (a second gateway with TRUSTED_DOCUMENTS_ONLY=true): only the manifest runs.
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'a trusted document by its manifest id (sha1, client preset)',
    body: byHash(TRUSTED_ID),
    status: 200,
    code: null,
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'a trusted document by its full text',
    body: op(TRUSTED_READ),
    status: 200,
    code: null,
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an untrusted document',
    body: op('{ __typename }'),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'a trusted document with one more space',
    body: op(`${TRUSTED_READ} `),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an untrusted document with a syntax error (refused before parsing)',
    body: op('{ recommendations('),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an untrusted document probing the schema',
    body: op('{ users { id } }'),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an untrusted registration',
    body: register('query Sneak { __typename }'),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an unknown hash',
    body: byHash(sha256('query Sneak { __typename }')),
    status: 200,
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an untrusted GET',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: getQuery('{ __typename }'),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'a trusted GET by full text',
    method: 'GET',
    headers: { 'content-type': null, ...PREFLIGHT },
    path: getQuery(TRUSTED_READ),
    status: 200,
    code: null,
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'an untrusted mutation',
    body: buy({ userId: 'keep-2', itemId: 'i1', orderId: 'trusted-order' }),
    status: 400,
    code: 'QUERY_NOT_IN_SAFELIST',
  },
  {
    layer: 'trusted',
    target: 'trusted',
    name: 'a trusted document without a token',
    headers: auth(null),
    body: op(TRUSTED_READ),
    status: 401,
    code: 'UNAUTHENTICATED',
  },
];

describe('bad-input corpus (production mode, auth on, own Redis)', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let gateway: InProcessGateway;
  let trusted: InProcessGateway;
  let model: CountingModel;
  let before: Map<string, string>;
  let keep1: { items: unknown; generatedAt: string };
  const observed: Array<{ name: string; layer: Layer; status: number; code: string | null }> = [];

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    model = CountingModel.builtin('v1');
    gateway = await startGateway({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url }, { model });
    cleanups.add(() => gateway.close());
    const dir = await mkdtemp(join(tmpdir(), 'corpus-manifest-'));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'persisted-documents.json'), JSON.stringify({ [TRUSTED_ID]: TRUSTED_READ }));
    trusted = await startGateway(
      {
        NODE_ENV: 'production',
        AUTH_JWT_SECRET: SECRET,
        REDIS_URL: redis.url,
        TRUSTED_DOCUMENTS_MANIFEST: join(dir, 'persisted-documents.json'),
        TRUSTED_DOCUMENTS_ONLY: 'true',
      },
      { model },
    );
    cleanups.add(() => trusted.close());

    // The data the corpus must not touch: one cached list, one user with a purchase (state + order) and a list.
    const primed = await gql(
      gateway.url,
      `query Primed($userId: ID!) { recommendations(userId: $userId, first: 100) { generatedAt items { item { id } } } }`,
      { userId: 'keep-1' },
      { token: tokens.service },
    );
    expect(primed.errors).toEqual([]);
    keep1 = (primed.data as { recommendations: typeof keep1 }).recommendations;
    const keep2 = await gql(gateway.url, READ_QUERY, { userId: 'keep-2' }, { token: tokens.service });
    const item = (keep2.data as { recommendations: { items: Array<{ item: { id: string } }> } }).recommendations
      .items[0]?.item.id;
    expect(
      (
        await gql(
          gateway.url,
          PURCHASE_MUTATION,
          { input: { userId: 'keep-2', itemId: item, orderId: 'keep-order' } },
          { token: tokens.service },
        )
      ).errors,
    ).toEqual([]);
    expect((await gql(gateway.url, READ_QUERY, { userId: 'keep-2' }, { token: tokens.service })).errors).toEqual([]);
    // The active-users set is written in the background (once a second): wait for it before taking the snapshot.
    await waitFor(
      'both users recorded as active',
      async () => (await redisCli(redis.port, 'ZCARD', 'recs:active')) === '2',
    );
    before = await snapshot(redis);
    expect([...before.keys()].sort()).toEqual(
      ['recs:active', 'recs:order:keep-order', 'recs:{keep-1}:v1', 'recs:{keep-2}:state', 'recs:{keep-2}:v1'].sort(),
    );
    model.reset();
  }, 60_000);

  afterAll(async () => {
    console.log(
      `bad-input corpus: ${observed.length} cases; by layer ${JSON.stringify(countBy(observed.map((entry) => entry.layer)))}; by status ${JSON.stringify(countBy(observed.map((entry) => String(entry.status))))}`,
    );
    await cleanups.run();
  });

  it('has at least 200 cases, each with a unique name, over every layer', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(new Set(CORPUS.map((entry) => entry.name)).size).toBe(CORPUS.length);
    expect(new Set(CORPUS.map((entry) => entry.layer))).toEqual(
      new Set<Layer>([
        'http',
        'auth',
        'graphql',
        'variables',
        'ids',
        'permissions',
        'items',
        'tokens',
        'apq',
        'trusted',
      ]),
    );
  });

  for (const entry of CORPUS) {
    it(`[${entry.layer}] ${entry.name} → ${entry.status} ${String(entry.code)}`, async () => {
      const url = entry.target === 'trusted' ? trusted.url : gateway.url;
      const { status, code, text } = entry.raw === undefined ? await send(url, entry) : await sendRaw(url, entry.raw);
      observed.push({ name: entry.name, layer: entry.layer, status, code });
      expect({ status, code }, text.slice(0, 400)).toEqual({ status: entry.status, code: entry.code });
      // Production mode: no stack trace, no internal error, no file path in any answer.
      expect(text).not.toMatch(/stacktrace|INTERNAL_SERVER_ERROR|\/src\/|node_modules/);
    });
  }

  it('after the corpus: still up, nothing reached the model, Redis is unchanged, and a normal read is the cached list', async () => {
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
    expect(model.scoreCalls).toEqual([]);
    expect(model.purchases).toEqual([]);
    const after = await snapshot(redis);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [key, value] of before) expect(after.get(key), key).toBe(value);
    // Only leases (which lapse by themselves) may differ, and none may be new.
    const leases = (await keysOn(redis.port)).filter((key) => key.endsWith(':lease'));
    for (const lease of leases) expect(['recs:{keep-1}:v1:lease', 'recs:{keep-2}:v1:lease']).toContain(lease);

    const response = await gql(
      gateway.url,
      `query Again($userId: ID!) { recommendations(userId: $userId, first: 100) { source generatedAt items { item { id } } } }`,
      { userId: 'keep-1' },
      { token: tokens.service },
    );
    expect(response.errors).toEqual([]);
    const list = (response.data as { recommendations: { source: string; generatedAt: string; items: unknown } })
      .recommendations;
    expect(list.source).toBe('CACHE');
    expect(list.generatedAt).toBe(keep1.generatedAt);
    expect(list.items).toEqual(keep1.items);
    expect(model.scoreCalls).toEqual([]);
    // The earlier purchase still counts: a retry of its orderId is a duplicate.
    const retry = await gql(
      gateway.url,
      PURCHASE_MUTATION,
      {
        input: {
          userId: 'keep-2',
          itemId: (JSON.parse((before.get('recs:order:keep-order') ?? '').replace(/^string:/, '')) as { i: string }).i,
          orderId: 'keep-order',
        },
      },
      { token: tokens.service },
    );
    expect((retry.data as { recordPurchase: { duplicate: boolean } }).recordPurchase.duplicate).toBe(true);
  });
});

async function send(url: string, entry: Case): Promise<{ status: number; code: string | null; text: string }> {
  const headers = new Headers({
    'content-type': 'application/json',
    accept: GRAPHQL_ACCEPT,
    authorization: `Bearer ${tokens.service}`,
  });
  for (const [name, value] of Object.entries(entry.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  const target = entry.path?.startsWith('/') ? new URL(entry.path, url).toString() : `${url}${entry.path ?? ''}`;
  const response = await fetch(target, { method: entry.method ?? 'POST', headers, body: entry.body });
  const parsed = await readResponse(response);
  return { status: parsed.status, code: parsed.code, text: parsed.text };
}

/** One request over a plain socket (for what fetch will not send); resolves with the status line's code. */
function sendRaw(url: string, request: string): Promise<{ status: number; code: string | null; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 10 s')), 10_000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (/\r\n\r\n/.test(received)) socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (match === null) reject(new Error(`no HTTP status line in: ${JSON.stringify(received.slice(0, 200))}`));
      else {
        const body = received.split('\r\n\r\n').slice(1).join('\r\n\r\n');
        let code: string | null = null;
        try {
          const parsed = JSON.parse(body) as { code?: unknown };
          code = typeof parsed.code === 'string' ? parsed.code : null;
        } catch {
          code = null;
        }
        resolve({ status: Number(match[1]), code, text: received });
      }
    });
    socket.write(request, 'latin1');
  });
}

/** Every key with its value (strings as they are, the active-users set as members and scores). */
async function snapshot(redis: RedisProcess): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const key of await keysOn(redis.port)) {
    // Leases lapse by themselves; budget counters (`recs:limits:`) count requests, they hold no data.
    if (key.endsWith(':lease') || key.startsWith('recs:limits:')) continue;
    const type = await redisCli(redis.port, 'TYPE', key);
    values.set(
      key,
      type === 'zset'
        ? await redisCli(redis.port, 'ZRANGE', key, 0, -1, 'WITHSCORES')
        : `${type}:${await redisCli(redis.port, 'GET', key)}`,
    );
  }
  return values;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
