/**
 * Fast path differential: the same odd requests, in the same order, against two gateways that differ only in
 * GRAPHQL_FAST_PATH (`true`: known query documents are answered by graphql/fast-path.ts; `false`: Apollo answers
 * everything), once in development and once in production mode. Each gateway has its own memory store and its own
 * built-in model. Every response must match: status, body and the headers clients read (after normalising what
 * depends on the clock), and neither may fail with a 5xx or hang. So must what each request did besides: the
 * counters and histogram counts it moved in `/metrics` (the fast path's own counter aside) and its request log line
 * (timings and the request id aside).
 *
 * Before the sweep, every query document is sent once to both gateways, so the fast path knows it. Each case is
 * then sent twice to each gateway (fast, reference, fast, reference): a case whose text or name is new to the fast
 * path goes through Apollo the first time and may be known to it the second time.
 */
import { createHash } from 'node:crypto';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { normaliseValue } from '../support/normalise.js';
import { captureLogs } from '../support/log-capture.js';
import type { CapturedLogger } from '../support/log-capture.js';
import { countedSamples, movedBy, requestLineOf } from '../support/parity.js';
import { bearerToken } from '../security/helpers.js';

const SECRET = 'fast-path-differential-secret-of-32-bytes+';
const LIST = 'userId modelVersion generatedAt ageSeconds source items { rank score item { id title category } }';

/** The query documents the sweep sends; each is primed once (with the operation name given here). */
const READ = `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { ${LIST} } }`;
const ANON = '{ recommendations(userId: "p2", first: 3) { userId source items { rank item { id } } } }';
const TWO =
  'query A { recommendations(userId: "p3", first: 1) { userId } } query B { recommendations(userId: "p4", first: 2) { source } }';
const TYPENAME = '{ __typename }';
const SKIP = 'query S($skip: Boolean!) { __typename @skip(if: $skip) }';
const MIXED = 'query Q { __typename } mutation M { purgeModelVersion(modelVersion: "v0") { removed } }';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const PRIMES: ReadonlyArray<{ query: string; variables?: Record<string, unknown>; operationName?: string }> = [
  { query: READ, variables: { userId: 'p1', first: 5 } },
  { query: ANON },
  { query: TWO, operationName: 'A' },
  { query: TWO, operationName: 'B' },
  { query: TYPENAME },
  { query: SKIP, variables: { skip: false } },
  { query: MIXED, operationName: 'Q' },
];

type Auth = 'reader' | 'user-u1' | 'none' | 'invalid' | 'malformed' | 'lowercase-scheme';

interface Case {
  readonly name: string;
  /** A value sent as JSON, or `{ raw }` sent as is. */
  readonly body?: unknown;
  readonly raw?: string;
  /** Replaces the defaults; null leaves the header out (the request is then sent without fetch's own defaults). */
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly as?: Auth;
  readonly method?: 'POST' | 'GET' | 'HEAD';
  readonly search?: string;
  /** What the fast path must do with it, per round, where that is part of the point (its counter's outcome). */
  readonly fast?: readonly [Outcome, Outcome];
}

/** `not seen`: the request never reached the fast path (refused by Fastify, or neither a POST nor a GET). */
type Outcome = 'served' | 'handed_over' | 'passed' | 'not seen';

const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/graphql-response+json, application/json',
};

/** A query string with each parameter once, as GET clients send it. */
const getSearch = (parameters: Record<string, string>): string => `?${new URLSearchParams(parameters).toString()}`;

const read = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  query: READ,
  variables: { userId: 'p1', first: 5 },
  ...extra,
});

const CASES: readonly Case[] = [
  // Controls: plain known requests (served by the fast path), and a known one with errors (handed over).
  { name: 'control: known named query', body: read(), fast: ['served', 'served'] },
  { name: 'control: known anonymous query', body: { query: ANON }, fast: ['served', 'served'] },
  { name: 'control: known __typename', body: { query: TYPENAME }, fast: ['served', 'served'] },
  {
    name: 'control: known query, another user (miss then hit)',
    body: read({ variables: { userId: 'q9', first: 2 } }),
    fast: ['served', 'served'],
  },
  {
    name: 'control: known query with a resolver error (bad userId)',
    body: read({ variables: { userId: 'a b' } }),
    fast: ['handed_over', 'handed_over'],
  },

  // operationName
  { name: 'operationName ""', body: read({ operationName: '' }), fast: ['passed', 'passed'] },
  { name: 'operationName "" on an anonymous document', body: { query: ANON, operationName: '' } },
  { name: 'operationName "" on a two-operation document', body: { query: TWO, operationName: '' } },
  { name: 'operationName null', body: read({ operationName: null }), fast: ['served', 'served'] },
  { name: 'operationName null on a two-operation document', body: { query: TWO, operationName: null } },
  {
    name: 'operationName matching the only operation',
    body: read({ operationName: 'Read' }),
    fast: ['passed', 'served'],
  },
  { name: 'operationName non-matching', body: read({ operationName: 'Nope' }), fast: ['passed', 'passed'] },
  { name: 'operationName non-matching on an anonymous document', body: { query: ANON, operationName: 'Read' } },
  { name: 'operationName with a hyphen', body: read({ operationName: 'Re-ad' }) },
  { name: 'operationName with a NUL', body: read({ operationName: 'Read\u0000' }), fast: ['passed', 'passed'] },
  { name: 'operationName with a NUL then text', body: { query: TWO, operationName: 'A\u0000B' } },
  { name: 'operationName with leading space', body: read({ operationName: ' Read' }) },
  { name: 'operationName with trailing newline', body: { query: TWO, operationName: 'A\n' } },
  { name: 'operationName non-ASCII', body: read({ operationName: 'Réad' }) },
  { name: 'operationName emoji', body: { query: TWO, operationName: '😀' } },
  { name: 'operationName __proto__', body: { query: TWO, operationName: '__proto__' } },
  { name: 'operationName constructor', body: { query: TWO, operationName: 'constructor' } },
  { name: 'operationName very long', body: { query: TWO, operationName: 'A'.repeat(5000) } },
  { name: 'operationName as a number', body: read({ operationName: 1 }) },
  { name: 'operationName as true', body: read({ operationName: true }) },
  { name: 'operationName as an array', body: { query: TWO, operationName: ['A'] } },
  { name: 'operationName as an object', body: { query: TWO, operationName: { name: 'A' } } },
  { name: 'operationName B of two', body: { query: TWO, operationName: 'B' }, fast: ['served', 'served'] },
  {
    name: 'operationName of the query in a query + mutation document',
    body: { query: MIXED, operationName: 'Q' },
    fast: ['served', 'served'],
  },
  {
    name: 'operationName of the mutation in a query + mutation document',
    body: { query: MIXED, operationName: 'M' },
    fast: ['passed', 'passed'],
  },
  {
    name: 'operationName null on a query + mutation document',
    body: { query: MIXED, operationName: null },
    fast: ['passed', 'passed'],
  },
  { name: 'operationName lowercase b of two', body: { query: TWO, operationName: 'b' } },

  // variables
  {
    name: 'variables as a JSON string',
    body: { query: READ, variables: JSON.stringify({ userId: 'p1', first: 5 }) },
    fast: ['passed', 'passed'],
  },
  { name: 'variables as an empty string', body: { query: READ, variables: '' } },
  { name: 'variables as an array', body: { query: READ, variables: ['p1', 5] }, fast: ['passed', 'passed'] },
  { name: 'variables as an empty array', body: { query: TYPENAME, variables: [] } },
  { name: 'variables as a number', body: { query: READ, variables: 5 } },
  { name: 'variables as false', body: { query: TYPENAME, variables: false } },
  { name: 'variables as 0', body: { query: TYPENAME, variables: 0 } },
  {
    name: 'variables null (required variable)',
    body: { query: READ, variables: null },
    fast: ['handed_over', 'handed_over'],
  },
  {
    name: 'variables null (no variables declared)',
    body: { query: ANON, variables: null },
    fast: ['served', 'served'],
  },
  { name: 'variables absent (required variable)', body: { query: READ } },
  { name: 'variables {} (required variable)', body: { query: READ, variables: {} } },
  {
    name: 'variables with extra unknown variables',
    body: read({ variables: { userId: 'p1', first: 5, extra: 1, nested: { a: [1, 2] } } }),
  },
  { name: 'variables on a document that declares none', body: { query: ANON, variables: { userId: 'p9' } } },
  {
    name: 'variables: first as a string',
    body: read({ variables: { userId: 'p1', first: 'many' } }),
    fast: ['handed_over', 'handed_over'],
  },
  { name: 'variables: first as a numeric string', body: read({ variables: { userId: 'p1', first: '5' } }) },
  { name: 'variables: first as a float', body: read({ variables: { userId: 'p1', first: 2.5 } }) },
  { name: 'variables: first as 2.0', raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"p1","first":2.0}}` },
  { name: 'variables: first as 1e1', raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"p1","first":1e1}}` },
  { name: 'variables: first beyond 32 bits', body: read({ variables: { userId: 'p1', first: 2147483648 } }) },
  {
    name: 'variables: first beyond 53 bits',
    raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"p1","first":123456789012345678901234567890}}`,
  },
  { name: 'variables: first negative', body: read({ variables: { userId: 'p1', first: -1 } }) },
  { name: 'variables: first as true', body: read({ variables: { userId: 'p1', first: true } }) },
  { name: 'variables: first as an array', body: read({ variables: { userId: 'p1', first: [5] } }) },
  { name: 'variables: first null', body: read({ variables: { userId: 'p1', first: null } }) },
  { name: 'variables: userId as a number', body: read({ variables: { userId: 7, first: 1 } }) },
  { name: 'variables: userId as a float', body: read({ variables: { userId: 7.5, first: 1 } }) },
  { name: 'variables: userId as true', body: read({ variables: { userId: true } }) },
  { name: 'variables: userId as an object', body: read({ variables: { userId: { id: 'p1' } } }) },
  { name: 'variables: userId as an array', body: read({ variables: { userId: ['p1'] } }) },
  { name: 'variables: userId null', body: read({ variables: { userId: null } }) },
  { name: 'variables: userId empty', body: read({ variables: { userId: '' } }) },
  { name: 'variables: userId very long', body: read({ variables: { userId: 'p'.repeat(3000) } }) },
  { name: 'variables: userId with a NUL', body: read({ variables: { userId: 'p1\u0000' } }) },
  { name: 'variables: userId with unicode', body: read({ variables: { userId: 'ü1' } }) },
  {
    name: 'variables: deeply nested extra variable',
    raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"p1","deep":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
  },
  {
    name: 'variables: deeply nested userId',
    raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
  },
  {
    name: 'variables: __proto__ key',
    raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"p1","__proto__":{"first":1}}}`,
  },
  {
    name: 'variables: __proto__ as the only key',
    raw: `{"query":${JSON.stringify(ANON)},"variables":{"__proto__":null}}`,
  },
  {
    name: 'variables: constructor.prototype',
    raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"p1","constructor":{"prototype":{"first":1}}}}`,
  },
  {
    name: 'variables: constructor as a string',
    body: read({ variables: { userId: 'p1', first: 1, constructor: 'x' } }),
  },
  {
    name: 'variables: hasOwnProperty as a number',
    body: read({ variables: { userId: 'p1', first: 1, hasOwnProperty: 1 } }),
  },
  {
    name: 'variables: toString and valueOf',
    body: read({ variables: { userId: 'p1', first: 1, toString: 1, valueOf: 'x' } }),
  },
  {
    name: 'variables: Boolean! for @skip given true',
    body: { query: SKIP, variables: { skip: true } },
    fast: ['served', 'served'],
  },
  {
    name: 'variables: Boolean! for @skip given "true"',
    body: { query: SKIP, variables: { skip: 'true' } },
    fast: ['handed_over', 'handed_over'],
  },
  { name: 'variables: Boolean! for @skip given 1', body: { query: SKIP, variables: { skip: 1 } } },
  { name: 'variables: Boolean! for @skip given null', body: { query: SKIP, variables: { skip: null } } },
  { name: 'variables: Boolean! for @skip given [true]', body: { query: SKIP, variables: { skip: [true] } } },
  { name: 'variables: Boolean! for @skip missing', body: { query: SKIP } },
  {
    name: 'variables: huge, under the body limit',
    body: read({ variables: { userId: 'p1', first: 1, pad: 'x'.repeat(60_000) } }),
    fast: ['served', 'served'],
  },
  {
    name: 'variables: huge, over the body limit',
    body: read({ variables: { userId: 'p1', first: 1, pad: 'x'.repeat(70_000) } }),
    fast: ['not seen', 'not seen'],
  },
  {
    name: 'variables: many keys',
    body: read({
      variables: Object.fromEntries([
        ['userId', 'p1'],
        ...Array.from({ length: 3000 }, (_, index) => [`v${index}`, index]),
      ]),
    }),
  },
  {
    name: 'duplicate variables key (last wins)',
    raw: `{"query":${JSON.stringify(READ)},"variables":{"userId":"nope nope","userId":"p1"}}`,
  },

  // extensions
  { name: 'extensions {}', body: read({ extensions: {} }), fast: ['passed', 'passed'] },
  { name: 'extensions null', body: read({ extensions: null }), fast: ['served', 'served'] },
  { name: 'extensions as a string', body: read({ extensions: '{}' }), fast: ['passed', 'passed'] },
  { name: 'extensions as an array', body: read({ extensions: [] }) },
  { name: 'extensions as a number', body: read({ extensions: 0 }) },
  { name: 'extensions as false', body: read({ extensions: false }) },
  { name: 'extensions with an unknown key', body: read({ extensions: { foo: 1 } }) },
  {
    name: 'extensions clientLibrary (Apollo Client 4)',
    body: read({ extensions: { clientLibrary: { name: '@apollo/client', version: '4.3.8' } } }),
    fast: ['served', 'served'],
  },
  {
    name: 'extensions clientLibrary with another key',
    body: read({ extensions: { clientLibrary: { name: 'x' }, foo: 1 } }),
    fast: ['passed', 'passed'],
  },
  {
    name: 'extensions clientLibrary with a persisted query',
    body: {
      query: ANON,
      extensions: { clientLibrary: { name: 'x' }, persistedQuery: { version: 1, sha256Hash: sha256(ANON) } },
    },
    fast: ['passed', 'passed'],
  },
  {
    name: 'extensions persistedQuery with a wrong hash',
    body: read({ extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }),
  },
  {
    name: 'extensions persistedQuery with the right hash',
    body: { query: ANON, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ANON) } } },
  },
  {
    name: 'extensions persistedQuery hash only',
    body: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ANON) } } },
  },
  {
    name: 'extensions persistedQuery version 2',
    body: { query: ANON, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(ANON) } } },
  },
  { name: 'extensions persistedQuery null', body: { query: ANON, extensions: { persistedQuery: null } } },

  // The body's shape
  // Batches are refused before the fast path (http/batch-refusal.ts).
  { name: 'body: a JSON array of one (batch)', body: [read()], fast: ['not seen', 'not seen'] },
  { name: 'body: a JSON array of two (batch)', body: [read(), { query: ANON }] },
  { name: 'body: an empty JSON array', body: [] },
  { name: 'body: an empty object', body: {} },
  { name: 'body: null', raw: 'null' },
  { name: 'body: a JSON string', body: READ },
  { name: 'body: a JSON number', raw: '42' },
  { name: 'body: true', raw: 'true' },
  { name: 'body: invalid JSON', raw: '{"query": ' },
  { name: 'body: empty', raw: '' },
  { name: 'body: whitespace only', raw: '   ' },
  { name: 'body: trailing garbage', raw: `${JSON.stringify(read())}x` },
  { name: 'body: with a BOM', raw: `\uFEFF${JSON.stringify(read())}` },
  { name: 'body: extra top-level keys', body: read({ id: 'x', foo: [1], documentId: 'abc' }) },
  {
    name: 'body: __proto__ at the top level',
    raw: `{"query":${JSON.stringify(ANON)},"__proto__":{"operationName":"Nope"}}`,
  },
  { name: 'body: duplicate query key (last wins)', raw: `{"query":"{ nope }","query":${JSON.stringify(ANON)}}` },

  // query
  { name: 'query as a number', body: { query: 42 }, fast: ['passed', 'passed'] },
  { name: 'query as true', body: { query: true } },
  { name: 'query as an object', body: { query: { kind: 'Document', definitions: [] } } },
  { name: 'query as an array', body: { query: [ANON] } },
  { name: 'query null', body: { query: null, variables: {} } },
  { name: 'query missing', body: { variables: { userId: 'p1' } } },
  { name: 'query empty', body: { query: '' } },
  { name: 'query leading space', body: read({ query: ` ${READ}` }), fast: ['passed', 'served'] },
  { name: 'query trailing space', body: read({ query: `${READ} ` }), fast: ['passed', 'served'] },
  { name: 'query trailing newline', body: { query: `${ANON}\n` } },
  { name: 'query with a CR LF', body: { query: `\r\n${ANON}` } },
  { name: 'query with a BOM', body: { query: `\uFEFF${ANON}` } },
  { name: 'query with a comment', body: { query: `${ANON} # hi` } },
  { name: 'query with a NUL appended', body: { query: `${ANON}\u0000` } },
  { name: 'query upper-cased keyword (invalid)', body: { query: ANON.replace('{', 'QUERY {') } },
  {
    name: 'query: a mutation sent to the fast path',
    body: { query: 'mutation { purgeModelVersion(modelVersion: "v0") { removed } }' },
  },
  { name: 'query: introspection (off in production)', body: { query: '{ __schema { queryType { name } } }' } },

  // Content-Type
  {
    name: 'content-type text/plain',
    headers: { 'content-type': 'text/plain' },
    body: read(),
    fast: ['passed', 'passed'],
  },
  {
    name: 'content-type text/plain with apollo-require-preflight',
    headers: { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' },
    body: read(),
  },
  {
    name: 'content-type application/json; charset=utf-8',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: read(),
  },
  {
    name: 'content-type application/json;charset=UTF-8',
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body: read(),
  },
  {
    name: 'content-type application/json; charset=latin1',
    headers: { 'content-type': 'application/json; charset=latin1' },
    body: read(),
  },
  {
    name: 'content-type application/json; charset=utf-16',
    headers: { 'content-type': 'application/json; charset=utf-16' },
    body: read(),
  },
  {
    name: 'content-type APPLICATION/JSON',
    headers: { 'content-type': 'APPLICATION/JSON' },
    body: read(),
    fast: ['served', 'served'],
  },
  {
    name: 'content-type Application/Json with spaces',
    headers: { 'content-type': ' Application/Json ; charset=utf-8' },
    body: read(),
  },
  {
    name: 'content-type application/json with a trailing semicolon',
    headers: { 'content-type': 'application/json;' },
    body: read(),
  },
  {
    name: 'content-type application/graphql-response+json',
    headers: { 'content-type': 'application/graphql-response+json' },
    body: read(),
  },
  { name: 'content-type application/graphql', headers: { 'content-type': 'application/graphql' }, raw: ANON },
  { name: 'content-type application/jsonx', headers: { 'content-type': 'application/jsonx' }, body: read() },
  {
    name: 'content-type application/json, text/plain',
    headers: { 'content-type': 'application/json, text/plain' },
    body: read(),
  },
  {
    name: 'content-type application/x-www-form-urlencoded',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    raw: `query=${encodeURIComponent(ANON)}`,
  },
  {
    name: 'content-type multipart/form-data',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    raw: '--x--',
  },
  { name: 'content-type missing', headers: { 'content-type': null }, body: read() },

  // Accept
  { name: 'accept: none', headers: { accept: null }, body: read(), fast: ['served', 'served'] },
  { name: 'accept: empty', headers: { accept: '' }, body: read() },
  { name: 'accept: */*', headers: { accept: '*/*' }, body: read() },
  { name: 'accept: application/*', headers: { accept: 'application/*' }, body: read() },
  {
    name: 'accept: application/graphql-response+json',
    headers: { accept: 'application/graphql-response+json' },
    body: read(),
  },
  { name: 'accept: application/json', headers: { accept: 'application/json' }, body: read() },
  {
    name: 'accept: application/json;q=0',
    headers: { accept: 'application/json;q=0' },
    body: read(),
    fast: ['passed', 'passed'],
  },
  { name: 'accept: application/json;q=0, */*', headers: { accept: 'application/json;q=0, */*' }, body: read() },
  {
    name: 'accept: graphql-response+json;q=0, application/json',
    headers: { accept: 'application/graphql-response+json;q=0, application/json' },
    body: read(),
  },
  {
    name: 'accept: application/json; callbackSpec=1.0',
    headers: { accept: 'application/json; callbackSpec=1.0' },
    body: read(),
  },
  { name: 'accept: text/html', headers: { accept: 'text/html' }, body: read() },
  { name: 'accept: text/html, */*;q=0.1', headers: { accept: 'text/html, */*;q=0.1' }, body: read() },
  { name: 'accept: image/png', headers: { accept: 'image/png' }, body: read(), fast: ['passed', 'passed'] },
  {
    name: 'accept: image/png with a resolver error',
    headers: { accept: 'image/png' },
    body: read({ variables: { userId: 'a b' } }),
  },
  { name: 'accept: multipart/mixed', headers: { accept: 'multipart/mixed' }, body: read() },
  { name: 'accept: garbage', headers: { accept: ';;;,,,==' }, body: read() },
  { name: 'accept: upper case', headers: { accept: 'APPLICATION/JSON' }, body: read() },
  { name: 'accept: application/json with a bad q', headers: { accept: 'application/json;q=abc' }, body: read() },
  {
    name: 'accept: graphql-response+json with a variable error',
    headers: { accept: 'application/graphql-response+json' },
    body: read({ variables: { userId: 'p1', first: 'many' } }),
  },
  {
    name: 'accept: application/json with a variable error',
    headers: { accept: 'application/json' },
    body: read({ variables: { userId: 'p1', first: 'many' } }),
  },

  // Authorization
  { name: 'auth: missing', as: 'none', body: read(), fast: ['passed', 'passed'] },
  { name: 'auth: invalid token', as: 'invalid', body: read(), fast: ['passed', 'passed'] },
  { name: 'auth: not a bearer header', as: 'malformed', body: read() },
  { name: 'auth: lower-case bearer scheme', as: 'lowercase-scheme', body: read() },
  {
    name: 'auth: a user token reading another user',
    as: 'user-u1',
    body: read(),
    fast: ['handed_over', 'handed_over'],
  },
  {
    name: 'auth: a user token reading its own list',
    as: 'user-u1',
    body: read({ variables: { userId: 'u1', first: 2 } }),
    fast: ['served', 'served'],
  },
  { name: 'auth: a user token on the known anonymous document (another user)', as: 'user-u1', body: { query: ANON } },
  { name: 'auth: missing, with an unacceptable accept', as: 'none', headers: { accept: 'image/png' }, body: read() },

  // Other headers and methods
  { name: 'x-request-id sent by the client', headers: { 'x-request-id': 'client-id-123' }, body: read() },
  { name: 'x-request-id insane', headers: { 'x-request-id': 'a b <c>' }, body: read() },
  {
    name: 'POST with a query string',
    search: `?query=${encodeURIComponent('{ nope }')}&operationName=Nope`,
    body: read(),
  },
  {
    name: 'GET of a known document',
    method: 'GET',
    search: `?query=${encodeURIComponent(ANON)}`,
    headers: { 'content-type': null, 'apollo-require-preflight': 'true' },
    fast: ['served', 'served'],
  },
  {
    name: 'GET of a known document without a preflight header',
    method: 'GET',
    search: `?query=${encodeURIComponent(ANON)}`,
    headers: { 'content-type': null },
    fast: ['served', 'served'],
  },
  // GETs (urql's default, graphql-request GET, curl, CDNs): served only in the plain form, with no content type.
  {
    name: 'GET known named query with variables',
    method: 'GET',
    search: getSearch({ query: READ, variables: '{"userId":"p1","first":5}' }),
    headers: { 'content-type': null },
    fast: ['served', 'served'],
  },
  {
    name: 'GET known named query with its operationName',
    method: 'GET',
    search: getSearch({ query: TWO, operationName: 'B' }),
    headers: { 'content-type': null },
    fast: ['served', 'served'],
  },
  {
    name: 'GET known query, unknown operationName',
    method: 'GET',
    search: getSearch({ query: TWO, operationName: 'C' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query, empty operationName',
    method: 'GET',
    search: getSearch({ query: TWO, operationName: '' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with a variable error',
    method: 'GET',
    search: getSearch({ query: READ, variables: '{"userId":"p1","first":"many"}' }),
    headers: { 'content-type': null },
    fast: ['handed_over', 'handed_over'],
  },
  {
    name: 'GET known query for a user it may not read',
    method: 'GET',
    as: 'user-u1',
    search: getSearch({ query: READ, variables: '{"userId":"p1","first":5}' }),
    headers: { 'content-type': null },
    fast: ['handed_over', 'handed_over'],
  },
  {
    name: 'GET known query without a token',
    method: 'GET',
    as: 'none',
    search: getSearch({ query: READ, variables: '{"userId":"p1","first":5}' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with malformed variables JSON',
    method: 'GET',
    search: getSearch({ query: READ, variables: '{"userId":' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with variables as a JSON array',
    method: 'GET',
    search: getSearch({ query: READ, variables: '[1]' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with variables null',
    method: 'GET',
    search: getSearch({ query: TYPENAME, variables: 'null' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with the query parameter twice',
    method: 'GET',
    search: `${getSearch({ query: TYPENAME })}&query=${encodeURIComponent(TYPENAME)}`,
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with an extensions parameter',
    method: 'GET',
    search: getSearch({ query: TYPENAME, extensions: '{}' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with a persisted-query hash',
    method: 'GET',
    search: getSearch({
      query: ANON,
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(ANON) } }),
    }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with an unknown parameter',
    method: 'GET',
    search: getSearch({ query: TYPENAME, cacheBuster: '1' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with a JSON content type',
    method: 'GET',
    search: getSearch({ query: TYPENAME }),
    headers: { 'content-type': 'application/json' },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET known query with a text/plain content type',
    method: 'GET',
    search: getSearch({ query: TYPENAME }),
    headers: { 'content-type': 'text/plain' },
  },
  {
    name: 'GET known query, Accept: application/json only',
    method: 'GET',
    search: getSearch({ query: TYPENAME }),
    headers: { 'content-type': null, accept: 'application/json' },
    fast: ['served', 'served'],
  },
  {
    name: 'GET known query, Accept: image/png',
    method: 'GET',
    search: getSearch({ query: TYPENAME }),
    headers: { 'content-type': null, accept: 'image/png' },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET of the mutation in a known mixed document',
    method: 'GET',
    search: getSearch({ query: MIXED, operationName: 'M' }),
    headers: { 'content-type': null },
    fast: ['passed', 'passed'],
  },
  {
    name: 'GET of the query in a known mixed document',
    method: 'GET',
    search: getSearch({ query: MIXED, operationName: 'Q' }),
    headers: { 'content-type': null },
    fast: ['served', 'served'],
  },
  {
    name: 'HEAD of a known document',
    method: 'HEAD',
    search: getSearch({ query: TYPENAME }),
    headers: { 'content-type': null },
  },

  // Closing controls: still served alike after the sweep.
  { name: 'control again: known named query', body: read() },
  { name: 'control again: operationName B', body: { query: TWO, operationName: 'B' } },
];

interface Normalised {
  status: number;
  headers: Record<string, string | null>;
  requestId: string | null;
  body: unknown;
}

const HEADERS = ['content-type', 'cache-control', 'cache-status', 'age', 'vary', 'allow'] as const;
/** Headers whose presence may legitimately vary per response (transport), excluded from the name comparison. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

async function send(
  gateway: InProcessGateway,
  test: Case,
  tokens: Record<string, string>,
): Promise<Normalised & { names: string[] }> {
  const who = test.as ?? 'reader';
  const merged: Record<string, string | null> = {
    ...DEFAULT_HEADERS,
    ...(who === 'none' ? {} : { authorization: tokens[who] as string }),
    ...test.headers,
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) if (value !== null) headers[name] = value;
  const method = test.method ?? 'POST';
  const url = `${gateway.url}${test.search ?? ''}`;
  const payload =
    method === 'GET' ? undefined : (test.raw ?? (test.body === undefined ? undefined : JSON.stringify(test.body)));
  let status: number;
  let text: string;
  let get: (name: string) => string | null;
  let names: string[];
  if (Object.values(merged).some((value) => value === null)) {
    // fetch would add `accept: */*` or `content-type: text/plain`: send exactly these headers instead.
    const response = await undiciRequest(url, { method, headers, body: payload, signal: AbortSignal.timeout(5000) });
    status = response.statusCode;
    text = await response.body.text();
    get = (name) => {
      const value = response.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    };
    names = Object.keys(response.headers);
  } else {
    const response = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(5000) });
    status = response.status;
    text = await response.text();
    get = (name) => response.headers.get(name);
    names = [...response.headers.keys()];
  }
  const picked: Record<string, string | null> = {};
  for (const name of HEADERS) picked[name] = get(name);
  if (picked['cache-status'] !== null)
    picked['cache-status'] = (picked['cache-status'] as string).replace(/ttl=-?\d+/, 'ttl=<n>');
  if (picked.age !== null) picked.age = '<n>';
  let body: unknown;
  try {
    body = normaliseValue(JSON.parse(text) as unknown);
  } catch {
    body = { notJson: text };
  }
  return {
    status,
    headers: picked,
    requestId: get('x-request-id'),
    body,
    names: names
      .map((name) => name.toLowerCase())
      .filter((name) => !TRANSPORT.has(name))
      .sort(),
  };
}

async function outcomeOf(
  gateway: InProcessGateway,
  before: Awaited<ReturnType<typeof fastPathOutcomes>>,
): Promise<string> {
  const after = await fastPathOutcomes(gateway);
  return (Object.keys(after) as Array<keyof typeof after>).find((key) => after[key] !== before[key]) ?? 'not seen';
}

/** The fast path's own counter: the one metric that must differ. */
const FAST_PATH_METRIC = 'recs_graphql_fast_path_total';

/** A gateway with its captured log. */
interface Side {
  readonly gateway: InProcessGateway;
  readonly logs: CapturedLogger;
}

/** The response, with what the request moved in `/metrics` and the request line it wrote. */
async function observe(
  side: Side,
  test: Case,
  tokens: Record<string, string>,
): Promise<{ response: Awaited<ReturnType<typeof send>>; metrics: Record<string, number>; log: unknown }> {
  const earlier = new Set(side.logs.lines());
  const before = await countedSamples(side.gateway.origin);
  const response = await send(side.gateway, test, tokens);
  // The line is written once the response has gone out, and the request metrics are counted in the same hook, right
  // after it: wait for the line before reading /metrics.
  const log = response.requestId === null ? null : await requestLineOf(side.logs, earlier, response.requestId);
  const metrics = movedBy(before, await countedSamples(side.gateway.origin), [FAST_PATH_METRIC]);
  return { response, metrics, log };
}

for (const mode of ['development', 'production'] as const) {
  describe(`fast path differential (${mode}): GRAPHQL_FAST_PATH true and false answer odd requests alike`, () => {
    let fast: InProcessGateway;
    let reference: InProcessGateway;
    const sides: { fast?: Side; reference?: Side } = {};
    const tokens: Record<string, string> = {};
    const totals: Record<string, number> = {};

    beforeAll(async () => {
      const env = { AUTH_JWT_SECRET: SECRET, NODE_ENV: mode, MODEL_WORKERS: '0' };
      const fastLogs = captureLogs('info');
      const referenceLogs = captureLogs('info');
      [fast, reference] = await Promise.all([
        startGateway({ ...env, GRAPHQL_FAST_PATH: 'true' }, { logger: fastLogs.logger }),
        startGateway({ ...env, GRAPHQL_FAST_PATH: 'false' }, { logger: referenceLogs.logger }),
      ]);
      sides.fast = { gateway: fast, logs: fastLogs };
      sides.reference = { gateway: reference, logs: referenceLogs };
      tokens.reader = await bearerToken(SECRET, 'differential-reader', 'recommendations:read:any');
      tokens['user-u1'] = await bearerToken(SECRET, 'u1');
      tokens.invalid = 'Bearer not.a.jwt';
      tokens.malformed = 'Basic dXNlcjpwYXNz';
      tokens['lowercase-scheme'] = tokens.reader.replace(/^Bearer /, 'bearer ');
      // Priming: every query document once, so the fast path knows it (and both stores hold the same lists).
      for (const prime of PRIMES) {
        for (const gateway of [fast, reference]) {
          const response = await fetch(gateway.url, {
            method: 'POST',
            headers: { ...DEFAULT_HEADERS, authorization: tokens.reader },
            body: JSON.stringify(prime),
            signal: AbortSignal.timeout(5000),
          });
          expect(response.status, `priming ${prime.operationName ?? prime.query}`).toBe(200);
          await response.text();
        }
      }
    });

    afterAll(async () => {
      await Promise.all([fast?.close(), reference?.close()]);
    });

    it('priming made the documents known to the fast path (and only there)', async () => {
      expect(fast.app.config.graphqlFastPath).toBe(true);
      expect(reference.app.config.graphqlFastPath).toBe(false);
      expect(fast.app.config.nodeEnv).toBe(mode);
      const before = await fastPathOutcomes(fast);
      const response = await fetch(fast.url, {
        method: 'POST',
        headers: { ...DEFAULT_HEADERS, authorization: tokens.reader as string },
        body: JSON.stringify({ query: TYPENAME }),
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status).toBe(200);
      await response.text();
      expect(await outcomeOf(fast, before)).toBe('served');
      expect(await fastPathOutcomes(reference)).toEqual({ served: 0, handed_over: 0, passed: 0 });
    });

    for (const test of CASES) {
      it(test.name, async () => {
        for (const round of [1, 2]) {
          const before = await fastPathOutcomes(fast);
          const fromFast = await observe(sides.fast as Side, test, tokens);
          const outcome = await outcomeOf(fast, before);
          totals[outcome] = (totals[outcome] ?? 0) + 1;
          const fromReference = await observe(sides.reference as Side, test, tokens);
          const label = `round ${round} (fast path: ${outcome})`;
          if (test.fast !== undefined)
            expect(outcome, `round ${round}: what the fast path did`).toBe(test.fast[round - 1]);
          expect({ ...fromFast.response, requestId: fromFast.response.requestId !== null }, label).toEqual({
            ...fromReference.response,
            requestId: fromReference.response.requestId !== null,
          });
          expect(fromFast.response.status, `${label}: no 5xx with the fast path`).toBeLessThan(500);
          if (test.headers?.['x-request-id'] === 'client-id-123')
            expect(fromFast.response.requestId).toBe('client-id-123');
          expect(fromFast.metrics, `${label}: what /metrics counted`).toEqual(fromReference.metrics);
          expect(fromFast.log, `${label}: the request log line`).toEqual(fromReference.log);
        }
      });
    }

    it('the sweep went through every branch of the fast path', () => {
      expect(totals.served ?? 0).toBeGreaterThan(0);
      expect(totals.handed_over ?? 0).toBeGreaterThan(0);
      expect(totals.passed ?? 0).toBeGreaterThan(0);
    });
  });
}
