/**
 * Persisted queries on the fast path: an automatic persisted query sent by its hash alone (POST, and GET with an
 * `extensions` parameter) and a trusted document sent by its manifest id are answered by the fast path once Apollo
 * has run the document, and answered exactly as Apollo answers them: two gateways that differ only in
 * GRAPHQL_FAST_PATH get the same requests in the same order, and must give the same status, headers (in the same
 * order), body, `/metrics` counts and request log line. What must stay Apollo's stays Apollo's: a hash never seen
 * (PERSISTED_QUERY_NOT_FOUND), a hash sent with a text it does not match, another version, and, with
 * TRUSTED_DOCUMENTS_ONLY=true, anything but a manifest id. With the store down, a hash the fast path knows is the
 * miss Apollo answers, and counts one store error, as Apollo alone does.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { captureLogs } from '../support/log-capture.js';
import type { CapturedLogger } from '../support/log-capture.js';
import { normaliseValue } from '../support/normalise.js';
import { countedSamples, movedBy, requestLineOf } from '../support/parity.js';
import { bearerToken } from '../security/helpers.js';
import { startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';

const SECRET = 'fast-path-persisted-queries-secret-32-bytes';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** Registered as an automatic persisted query before the cases run. */
const READ =
  'query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { userId source items { rank item { id } } } }';
/** In the manifest, under a SHA-1 id (GraphQL Code Generator's `hashAlgorithm: 'sha1'`): the id is not its SHA-256. */
const TRUSTED = 'query Trusted($userId: ID!) { recommendations(userId: $userId, first: 2) { userId items { rank } } }';
/** In the manifest under the SHA-256 of its text, as most tools write it. */
const TRUSTED_TYPENAME = 'query TrustedTypename { __typename }';
/** Known to the fast path by its text only: sent as a plain query, never registered. */
const PLAIN = '{ recommendations(userId: "pq-plain", first: 1) { userId } }';
const MANIFEST = { [sha1(TRUSTED)]: TRUSTED, [sha256(TRUSTED_TYPENAME)]: TRUSTED_TYPENAME };

/** `not seen`: refused before the fast path (the trusted-only check of full texts in the HTTP layer). */
type Outcome = 'served' | 'handed_over' | 'passed' | 'not seen';

interface Case {
  readonly name: string;
  readonly method: 'POST' | 'GET';
  /** The POST body, or the GET parameters (objects are sent as JSON). */
  readonly payload: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the fast path does, per round. */
  readonly fast: readonly [Outcome, Outcome];
  /** The error code both must answer with, if any. */
  readonly code?: string;
}

const persisted = (hash: string, version = 1) => ({ persistedQuery: { version, sha256Hash: hash } });
const readVariables = { userId: 'pq-1', first: 3 };

const APQ_CASES: readonly Case[] = [
  {
    name: 'APQ POST, hash only',
    method: 'POST',
    payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
    fast: ['served', 'served'],
  },
  {
    name: 'APQ GET, hash only',
    method: 'GET',
    payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
    fast: ['served', 'served'],
  },
  {
    name: 'APQ GET, hash only, another user (miss then hit)',
    method: 'GET',
    payload: { variables: { userId: 'pq-2', first: 1 }, extensions: persisted(sha256(READ)) },
    fast: ['served', 'served'],
  },
  {
    name: 'APQ POST, hash only, with Apollo Client’s clientLibrary',
    method: 'POST',
    payload: {
      variables: readVariables,
      extensions: { clientLibrary: { name: '@apollo/client', version: '4.3.8' }, ...persisted(sha256(READ)) },
    },
    fast: ['served', 'served'],
  },
  {
    name: 'APQ POST, hash only, naming its operation (new to the fast path under that name)',
    method: 'POST',
    payload: { operationName: 'Read', variables: readVariables, extensions: persisted(sha256(READ)) },
    fast: ['passed', 'served'],
  },
  {
    name: 'APQ GET, hash only, naming another operation',
    method: 'GET',
    payload: { operationName: 'Nope', variables: readVariables, extensions: persisted(sha256(READ)) },
    fast: ['passed', 'passed'],
  },
  {
    name: 'APQ POST, hash only, with a resolver error (handed over)',
    method: 'POST',
    payload: { variables: { userId: 'a b' }, extensions: persisted(sha256(READ)) },
    fast: ['handed_over', 'handed_over'],
  },
  {
    name: 'APQ GET, hash only, with a variable error (handed over)',
    method: 'GET',
    payload: { variables: { userId: 'pq-1', first: 'many' }, extensions: persisted(sha256(READ)) },
    fast: ['handed_over', 'handed_over'],
  },
  {
    name: 'APQ POST, a hash never seen',
    method: 'POST',
    payload: { variables: readVariables, extensions: persisted(sha256(`${READ} `)) },
    fast: ['passed', 'passed'],
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    name: 'APQ GET, a hash never seen',
    method: 'GET',
    payload: { extensions: persisted('0'.repeat(64)) },
    fast: ['passed', 'passed'],
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    name: 'APQ POST, the known hash in upper case',
    method: 'POST',
    payload: { variables: readVariables, extensions: persisted(sha256(READ).toUpperCase()) },
    fast: ['passed', 'passed'],
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    name: 'APQ POST, a known hash with a text it does not match',
    method: 'POST',
    payload: { query: PLAIN, extensions: persisted(sha256(READ)) },
    fast: ['passed', 'passed'],
  },
  {
    name: 'APQ GET, a known hash with its own text (Apollo registers it again)',
    method: 'GET',
    payload: { query: READ, variables: readVariables, extensions: persisted(sha256(READ)) },
    fast: ['passed', 'passed'],
  },
  {
    name: 'APQ POST, hash only, version 2',
    method: 'POST',
    payload: { variables: readVariables, extensions: persisted(sha256(READ), 2) },
    fast: ['passed', 'passed'],
  },
  {
    name: 'APQ POST, hash only, with another extension',
    method: 'POST',
    payload: { variables: readVariables, extensions: { ...persisted(sha256(READ)), tracing: true } },
    fast: ['passed', 'passed'],
  },
  {
    name: 'APQ GET, hash only, with a JSON content type',
    method: 'GET',
    payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
    headers: { 'content-type': 'application/json' },
    fast: ['passed', 'passed'],
  },
  {
    name: 'APQ POST, hash only, Accept: application/graphql-response+json',
    method: 'POST',
    payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
    headers: { accept: 'application/graphql-response+json' },
    fast: ['served', 'served'],
  },
  {
    // The fast path knows the text (sent as a plain query), but Apollo's cache holds no registration of it.
    name: 'APQ POST, hash only, of a text known but never registered',
    method: 'POST',
    payload: { extensions: persisted(sha256(PLAIN)) },
    fast: ['passed', 'passed'],
    code: 'PERSISTED_QUERY_NOT_FOUND',
  },
  {
    name: 'APQ POST, hash only, Accept: image/png',
    method: 'POST',
    payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
    headers: { accept: 'image/png' },
    fast: ['passed', 'passed'],
  },
];

const TRUSTED_ID_CASES: readonly Case[] = [
  {
    name: 'trusted document POST, by its manifest id (SHA-1)',
    method: 'POST',
    payload: { variables: { userId: 'pq-t1' }, extensions: persisted(sha1(TRUSTED)) },
    fast: ['served', 'served'],
  },
  {
    name: 'trusted document GET, by its manifest id (SHA-1)',
    method: 'GET',
    payload: { variables: { userId: 'pq-t1' }, extensions: persisted(sha1(TRUSTED)) },
    fast: ['served', 'served'],
  },
  {
    name: 'trusted document GET, by its manifest id (SHA-256 of its text)',
    method: 'GET',
    payload: { extensions: persisted(sha256(TRUSTED_TYPENAME)) },
    fast: ['served', 'served'],
  },
  {
    name: 'trusted document POST, by its full text',
    method: 'POST',
    payload: { query: TRUSTED, variables: { userId: 'pq-t2' } },
    fast: ['served', 'served'],
  },
];

interface Side {
  readonly gateway: InProcessGateway;
  readonly logs: CapturedLogger;
}

interface Observed {
  readonly status: number;
  /** Header names in the order they came, and the values clients read (what depends on the clock normalised). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: unknown;
  readonly metrics: Record<string, number>;
  readonly log: Record<string, unknown>;
}

/** Headers whose presence or value depends on the transport or the clock, not on the answer. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

async function observe(side: Side, test: Case, token: string): Promise<Observed> {
  const { gateway, logs } = side;
  const headers: Record<string, string> = {
    accept: 'application/graphql-response+json, application/json',
    authorization: token,
    ...(test.method === 'POST' ? { 'content-type': 'application/json' } : {}),
    ...test.headers,
  };
  let url = gateway.url;
  let body: string | undefined;
  if (test.method === 'GET') {
    const parameters = Object.entries(test.payload).map(
      ([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)] as [string, string],
    );
    url = `${url}?${new URLSearchParams(parameters).toString()}`;
  } else {
    body = JSON.stringify(test.payload);
  }
  const earlier = new Set(logs.lines());
  const before = await countedSamples(gateway.origin);
  // undici's request sends exactly these headers and keeps the response's headers in the order they came.
  const response = await undiciRequest(url, { method: test.method, headers, body, signal: AbortSignal.timeout(5000) });
  const text = await response.body.text();
  const requestId = response.headers['x-request-id'];
  expect(typeof requestId, 'every answer carries a request id').toBe('string');
  const log = await requestLineOf(logs, earlier, requestId as string);
  const metrics = movedBy(before, await countedSamples(gateway.origin), ['recs_graphql_fast_path_total']);
  const ordered: Array<readonly [string, string]> = [];
  for (const [name, raw] of Object.entries(response.headers)) {
    if (TRANSPORT.has(name)) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
    if (name === 'x-request-id') ordered.push([name, '<id>']);
    // The body is compared normalised; its length moves with the digits of its ages.
    else if (name === 'age' || name === 'content-length') ordered.push([name, '<n>']);
    else if (name === 'cache-status') ordered.push([name, value.replace(/ttl=-?\d+/, 'ttl=<n>')]);
    else ordered.push([name, value]);
  }
  let parsed: unknown;
  try {
    parsed = normaliseValue(JSON.parse(text) as unknown);
  } catch {
    parsed = { notJson: text };
  }
  return { status: response.statusCode, headers: ordered, body: parsed, metrics, log };
}

async function outcomeOf(gateway: InProcessGateway, send: () => Promise<Observed>): Promise<[string, Observed]> {
  const before = await fastPathOutcomes(gateway);
  const observed = await send();
  const after = await fastPathOutcomes(gateway);
  const moved = (Object.keys(after) as Array<keyof typeof after>).find((key) => after[key] !== before[key]);
  return [moved ?? 'not seen', observed];
}

/** Two gateways alike but for GRAPHQL_FAST_PATH, with their logs captured. */
async function startPair(env: Record<string, string>): Promise<{ fast: Side; reference: Side }> {
  const fastLogs = captureLogs('info');
  const referenceLogs = captureLogs('info');
  const [fast, reference] = await Promise.all([
    startGateway({ ...env, GRAPHQL_FAST_PATH: 'true' }, { logger: fastLogs.logger }),
    startGateway({ ...env, GRAPHQL_FAST_PATH: 'false' }, { logger: referenceLogs.logger }),
  ]);
  return { fast: { gateway: fast, logs: fastLogs }, reference: { gateway: reference, logs: referenceLogs } };
}

function sweep(pair: () => { fast: Side; reference: Side }, token: () => string, cases: readonly Case[]): void {
  for (const test of cases) {
    it(test.name, async () => {
      const { fast, reference } = pair();
      for (const round of [1, 2] as const) {
        const [outcome, fromFast] = await outcomeOf(fast.gateway, () => observe(fast, test, token()));
        const fromReference = await observe(reference, test, token());
        const label = `round ${round} (fast path: ${outcome})`;
        expect(outcome, `round ${round}: what the fast path did`).toBe(test.fast[round - 1]);
        expect(fromFast, label).toEqual(fromReference);
        expect(fromFast.status, `${label}: no 5xx`).toBeLessThan(500);
        if (test.code !== undefined) {
          const codes = (fromFast.body as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.map(
            (error) => error.extensions?.code,
          );
          expect(codes, label).toEqual([test.code]);
        }
      }
    });
  }
}

/** Sends one request to both gateways of a pair, expecting 200 from each. */
async function prime(sides: readonly Side[], token: string, test: Omit<Case, 'name' | 'fast'>): Promise<void> {
  for (const side of sides) {
    const observed = await observe(side, { ...test, name: 'priming', fast: ['passed', 'passed'] }, token);
    expect(observed.status, `priming ${JSON.stringify(test.payload)}`).toBe(200);
  }
}

let dir: string;
let manifestPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fast-path-persisted-'));
  manifestPath = join(dir, 'persisted-documents.json');
  await writeFile(manifestPath, JSON.stringify(MANIFEST));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

for (const mode of ['development', 'production'] as const) {
  describe(`persisted queries on the fast path (${mode}, with a manifest): answered as Apollo answers them`, () => {
    let sides: { fast: Side; reference: Side };
    let token: string;

    beforeAll(async () => {
      sides = await startPair({
        AUTH_JWT_SECRET: SECRET,
        NODE_ENV: mode,
        MODEL_WORKERS: '0',
        TRUSTED_DOCUMENTS_MANIFEST: manifestPath,
      });
      token = await bearerToken(SECRET, 'pq-reader', 'recommendations:read:any');
      const both = [sides.fast, sides.reference];
      // Registered the way an APQ link does after PERSISTED_QUERY_NOT_FOUND: the hash with the text, once.
      await prime(both, token, {
        method: 'POST',
        payload: { query: READ, variables: readVariables, extensions: persisted(sha256(READ)) },
      });
      // Run once by id through Apollo, which makes the documents known to the fast path.
      await prime(both, token, {
        method: 'POST',
        payload: { variables: { userId: 'pq-t0' }, extensions: persisted(sha1(TRUSTED)) },
      });
      await prime(both, token, { method: 'GET', payload: { extensions: persisted(sha256(TRUSTED_TYPENAME)) } });
      await prime(both, token, { method: 'POST', payload: { query: PLAIN } });
    });

    afterAll(async () => {
      await Promise.all([sides?.fast.gateway.close(), sides?.reference.gateway.close()]);
    });

    sweep(
      () => sides,
      () => token,
      [...APQ_CASES, ...TRUSTED_ID_CASES],
    );
  });
}

describe('persisted queries on the fast path (production, TRUSTED_DOCUMENTS_ONLY=true): nothing Apollo would refuse', () => {
  let sides: { fast: Side; reference: Side };
  let token: string;

  beforeAll(async () => {
    sides = await startPair({
      AUTH_JWT_SECRET: SECRET,
      NODE_ENV: 'production',
      MODEL_WORKERS: '0',
      TRUSTED_DOCUMENTS_MANIFEST: manifestPath,
      TRUSTED_DOCUMENTS_ONLY: 'true',
    });
    token = await bearerToken(SECRET, 'pq-reader', 'recommendations:read:any');
    const both = [sides.fast, sides.reference];
    await prime(both, token, {
      method: 'POST',
      payload: { variables: { userId: 'pq-t0' }, extensions: persisted(sha1(TRUSTED)) },
    });
    await prime(both, token, { method: 'GET', payload: { extensions: persisted(sha256(TRUSTED_TYPENAME)) } });
  });

  afterAll(async () => {
    await Promise.all([sides?.fast.gateway.close(), sides?.reference.gateway.close()]);
  });

  sweep(
    () => sides,
    () => token,
    [
      ...TRUSTED_ID_CASES,
      {
        // Trusted by Apollo's query-hash check, but not an id in the manifest: Apollo's cache has no such entry.
        name: 'the SHA-256 of a trusted text whose manifest id is its SHA-1, hash only',
        method: 'POST',
        payload: { variables: { userId: 'pq-t1' }, extensions: persisted(sha256(TRUSTED)) },
        fast: ['passed', 'passed'],
        code: 'PERSISTED_QUERY_NOT_FOUND',
      },
      {
        name: 'an untrusted document sent with its hash (registration is refused)',
        method: 'POST',
        payload: { query: READ, variables: readVariables, extensions: persisted(sha256(READ)) },
        // Refused by the HTTP layer before the fast path sees it.
        fast: ['not seen', 'not seen'],
        code: 'QUERY_NOT_IN_SAFELIST',
      },
      {
        name: 'the hash of an untrusted document, hash only',
        method: 'GET',
        payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
        fast: ['passed', 'passed'],
        code: 'PERSISTED_QUERY_NOT_FOUND',
      },
    ],
  );
});

describe('persisted queries on the fast path, Redis stopped: the miss Apollo answers, one store error per request', () => {
  let redis: RedisProcess;
  let sides: { fast: Side; reference: Side };
  let token: string;
  const hashOnly = (method: 'POST' | 'GET'): Case => ({
    name: `APQ ${method}, hash only, of a registered document, Redis stopped`,
    method,
    payload: { variables: readVariables, extensions: persisted(sha256(READ)) },
    fast: ['passed', 'passed'],
    code: 'PERSISTED_QUERY_NOT_FOUND',
  });

  beforeAll(async () => {
    redis = await startRedis();
    sides = await startPair({
      AUTH_JWT_SECRET: SECRET,
      MODEL_WORKERS: '0',
      REDIS_URL: redis.url,
      REDIS_TIMEOUT_MS: '200',
    });
    token = await bearerToken(SECRET, 'pq-reader', 'recommendations:read:any');
    const both = [sides.fast, sides.reference];
    await prime(both, token, {
      method: 'POST',
      payload: { query: READ, variables: readVariables, extensions: persisted(sha256(READ)) },
    });
    // While Redis answers, the fast path finds the document by its hash: it looks the hash up.
    const [outcome] = await outcomeOf(sides.fast.gateway, () =>
      observe(sides.fast, { ...hashOnly('POST'), fast: ['served', 'served'] }, token),
    );
    expect(outcome).toBe('served');
    await redis.kill();
  });

  afterAll(async () => {
    await Promise.all([sides?.fast.gateway.close(), sides?.reference.gateway.close()]);
    await redis?.stop();
  });

  sweep(
    () => sides,
    () => token,
    [hashOnly('POST'), hashOnly('GET')],
  );

  it('one lookup failure counted per request, by the fast path’s gateway as by Apollo’s alone', async () => {
    for (const side of [sides.fast, sides.reference]) {
      const observed = await observe(side, hashOnly('POST'), token);
      expect(observed.metrics['recs_store_errors_total{operation="apq"}']).toBe(1);
    }
  });
});
