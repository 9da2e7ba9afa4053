/**
 * Requests the HTTP layer refuses before Apollo runs (a batch, another `Host`, a document outside the safelist, a
 * refused token) are counted and logged with the code their answer carries, as Apollo's own request errors are:
 * `recs_graphql_errors_total{code}` and the request line's `operation`/`outcome`.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { captureLogs } from '../support/log-capture.js';
import type { CapturedLogger, LogLine } from '../support/log-capture.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { Cleanups } from '../gateway/helpers.js';
import { SECRET, hsToken, tamperedSignature } from '../security/helpers.js';

const ERRORS = 'recs_graphql_errors_total';
const DURATION = 'recs_graphql_request_duration_seconds_count';
const TYPENAME = 'query RefusalTypename { __typename }';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly code: unknown;
}

/** A POST of `body` to /graphql with these headers; node:http, since fetch will not let a test set `Host`. */
function post(gateway: InProcessGateway, headers: Record<string, string>, body: unknown): Promise<Answer> {
  const { hostname, port } = new URL(gateway.origin);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { hostname, port, method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...headers } },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => {
          const json = JSON.parse(text) as unknown;
          const first = (Array.isArray(json) ? json[0] : json) as {
            errors?: Array<{ extensions?: { code?: unknown } }>;
          };
          resolve({
            status: incoming.statusCode ?? 0,
            contentType: incoming.headers['content-type'] ?? '',
            code: first.errors?.[0]?.extensions?.code,
          });
        });
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify(body));
  });
}

/** What one request added to the request metrics, and its log line. */
interface Observed {
  readonly answer: Answer;
  readonly errors: (code: string) => number;
  readonly rejected: number;
  readonly line: LogLine;
}

let requests = 0;

async function observe(
  gateway: InProcessGateway,
  logs: CapturedLogger,
  headers: Record<string, string>,
  body: unknown,
): Promise<Observed> {
  const requestId = `refusal-${++requests}`;
  const before = await scrape(gateway.origin);
  const answer = await post(gateway, { ...headers, 'x-request-id': requestId }, body);
  const line = await logs.next((candidate) => candidate.msg === 'request' && candidate.reqId === requestId);
  // The metrics hook runs in the same onResponse pass as the log line, which has been written.
  const after = await scrape(gateway.origin);
  const delta = (name: string, labels: Record<string, string>): number =>
    sumOf(after, name, labels) - sumOf(before, name, labels);
  return {
    answer,
    errors: (code) => delta(ERRORS, { code }),
    rejected: delta(DURATION, { operation_type: 'none', outcome: 'rejected' }),
    line,
  };
}

/** What a refusal is expected to leave behind, as Apollo leaves it for a request error of `code`. */
function expectRecorded(observed: Observed, status: number, code: string): void {
  expect([observed.answer.status, observed.answer.code]).toEqual([status, code]);
  expect(observed.errors(code)).toBe(1);
  expect(observed.errors('none')).toBe(0);
  expect(observed.rejected).toBe(1);
  expect({ operation: observed.line.operation, outcome: observed.line.outcome }).toEqual({
    operation: 'unresolved',
    outcome: 'rejected',
  });
}

describe('refusals before Apollo, without authentication (batch, Host)', () => {
  let gateway: InProcessGateway;
  let logs: CapturedLogger;

  beforeAll(async () => {
    logs = captureLogs('info');
    gateway = await startGateway({}, { logger: logs.logger });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('an Apollo request error, for comparison: its code counted, its line unresolved/rejected', async () => {
    expectRecorded(
      await observe(gateway, logs, { accept: 'application/graphql-response+json' }, { query: '{ noSuchField }' }),
      400,
      'GRAPHQL_VALIDATION_FAILED',
    );
  });

  it('a batch: BAD_REQUEST, counted once for the answer', async () => {
    const batch = [{ query: '{ __typename }' }, { query: '{ __typename }' }];
    expectRecorded(await observe(gateway, logs, {}, batch), 400, 'BAD_REQUEST');
  });

  it('another Host: HOST_NOT_ALLOWED', async () => {
    expectRecorded(
      await observe(gateway, logs, { host: 'evil.example' }, { query: '{ __typename }' }),
      403,
      'HOST_NOT_ALLOWED',
    );
  });
});

describe('refusals before Apollo, with authentication and trusted documents only (safelist, token)', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let logs: CapturedLogger;
  let token: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'refusal-records-'));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const manifest = join(dir, 'persisted-documents.json');
    await writeFile(manifest, JSON.stringify({ [sha256(TYPENAME)]: TYPENAME }));
    token = await hsToken({ sub: 'refusal-app', scope: 'recommendations:read:any', issuer: '', audience: '' });
    logs = captureLogs('info');
    gateway = await startGateway(
      {
        NODE_ENV: 'production',
        AUTH_JWT_SECRET: SECRET,
        TRUSTED_DOCUMENTS_MANIFEST: manifest,
        TRUSTED_DOCUMENTS_ONLY: 'true',
      },
      { logger: logs.logger },
    );
    cleanups.add(() => gateway.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('a document outside the safelist: QUERY_NOT_IN_SAFELIST', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expectRecorded(await observe(gateway, logs, auth, { query: '{ __typename }' }), 400, 'QUERY_NOT_IN_SAFELIST');
  });

  it('a refused token: UNAUTHENTICATED', async () => {
    const auth = { authorization: `Bearer ${tamperedSignature(token)}` };
    const byId = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(TYPENAME) } } };
    expectRecorded(await observe(gateway, logs, auth, byId), 401, 'UNAUTHENTICATED');
  });

  it('the safelist refusal answers in the JSON media type the client accepts, as the batch refusal does', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const graphqlResponse = await post(
      gateway,
      { ...auth, accept: 'application/graphql-response+json, application/json;q=0.9' },
      { query: '{ __typename }' },
    );
    expect([graphqlResponse.status, graphqlResponse.code]).toEqual([400, 'QUERY_NOT_IN_SAFELIST']);
    expect(graphqlResponse.contentType).toBe('application/graphql-response+json; charset=utf-8');
    const json = await post(gateway, { ...auth, accept: 'application/json' }, { query: '{ __typename }' });
    expect([json.status, json.code]).toEqual([400, 'QUERY_NOT_IN_SAFELIST']);
    expect(json.contentType).toBe('application/json; charset=utf-8');
  });
});
