/**
 * Structured request logs over real HTTP: one line per request with the request id, operation, duration, status and
 * cache outcome; the id echoed back; secrets never written; the level set by LOG_LEVEL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startGatewayProcess, postGraphQL } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { captureLogs, requestLines } from '../support/log-capture.js';
import type { CapturedLogger, LogLine } from '../support/log-capture.js';
import { READ_QUERY } from '../gateway/helpers.js';
import { REDACTED } from '../../src/telemetry/logger.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let barriers = 0;

/**
 * Waits until every request answered so far has been logged: sends one more request and waits for its line. A line
 * is written when its response has been sent, so the lines of the requests answered before this one (and any second
 * line one of them might write) are written before this request is even sent.
 */
async function logBarrier(gateway: InProcessGateway, logs: CapturedLogger): Promise<void> {
  const requestId = `barrier-${++barriers}`;
  await postGraphQL(gateway.url, '{ __typename }', undefined, { 'x-request-id': requestId });
  await logs.next((line) => line.msg === 'request' && line.reqId === requestId);
}

/** The log lines of one request id, once every request answered so far has been logged. */
async function lineFor(gateway: InProcessGateway, logs: CapturedLogger, requestId: string): Promise<LogLine[]> {
  await logBarrier(gateway, logs);
  return requestLines(logs.lines()).filter((line) => line.reqId === requestId);
}

describe('request log lines (in-process gateway, captured logger)', () => {
  let gateway: InProcessGateway;
  let logs: CapturedLogger;

  beforeAll(async () => {
    logs = captureLogs('info');
    gateway = await startGateway({}, { logger: logs.logger });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('one line per request: request id from x-request-id, operation, outcome, status, duration and sources served', async () => {
    const miss = await postGraphQL(gateway.url, READ_QUERY, { userId: 'log-user-1' }, { 'x-request-id': 'req-miss-1' });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-request-id')).toBe('req-miss-1');
    const hit = await postGraphQL(gateway.url, READ_QUERY, { userId: 'log-user-1' }, { 'x-request-id': 'req-hit-1' });
    expect(hit.headers.get('x-request-id')).toBe('req-hit-1');

    const [missLines, hitLines] = [
      await lineFor(gateway, logs, 'req-miss-1'),
      await lineFor(gateway, logs, 'req-hit-1'),
    ];
    expect(missLines).toHaveLength(1);
    expect(hitLines).toHaveLength(1);
    const line = missLines[0] as LogLine;
    expect(line).toMatchObject({
      level: 30,
      method: 'POST',
      path: '/graphql',
      status: 200,
      operation: 'Read',
      outcome: 'success',
      served: { CACHE: 0, MODEL: 1, STALE: 0 },
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.durationMs as number).toBeGreaterThan(0);
    expect(line.durationMs as number).toBeLessThan(10_000);
    expect(hitLines[0]).toMatchObject({ operation: 'Read', served: { CACHE: 1, MODEL: 0, STALE: 0 } });
  });

  it('a batch of users is counted per source in one line', async () => {
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'log-batch-a' });
    const query = `query Two { a: recommendations(userId: "log-batch-a") { userId } b: recommendations(userId: "log-batch-b") { userId } }`;
    const response = await postGraphQL(gateway.url, query, undefined, { 'x-request-id': 'req-batch' });
    expect(response.status).toBe(200);
    const lines = await lineFor(gateway, logs, 'req-batch');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ operation: 'Two', served: { CACHE: 1, MODEL: 1, STALE: 0 } });
  });

  it('without x-request-id, or with one that is not sane, the gateway makes a UUID and echoes it', async () => {
    const none = await postGraphQL(gateway.url, READ_QUERY, { userId: 'log-user-2' });
    const noneId = none.headers.get('x-request-id') ?? '';
    expect(noneId).toMatch(UUID);
    expect(await lineFor(gateway, logs, noneId)).toHaveLength(1);

    for (const insane of ['has spaces in it', 'x'.repeat(200), 'quote"brace{']) {
      const response = await postGraphQL(gateway.url, READ_QUERY, { userId: 'log-user-2' }, { 'x-request-id': insane });
      const echoed = response.headers.get('x-request-id') ?? '';
      expect(echoed).toMatch(UUID);
      await logBarrier(gateway, logs);
      expect(logs.text()).not.toContain(insane);
    }
  });

  it('a rejected operation is logged as such, with the operation unresolved', async () => {
    const response = await postGraphQL(gateway.url, 'query Broken { recommendations(', undefined, {
      'x-request-id': 'req-broken',
    });
    expect(response.status).toBe(400);
    const lines = await lineFor(gateway, logs, 'req-broken');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      status: 400,
      operation: 'unresolved',
      outcome: 'rejected',
      served: { CACHE: 0, MODEL: 0, STALE: 0 },
    });
  });

  it('never writes an Authorization header or a cookie, in the request line or anywhere else', async () => {
    const response = await postGraphQL(
      gateway.url,
      READ_QUERY,
      { userId: 'log-user-3' },
      {
        'x-request-id': 'req-secret',
        authorization: 'Bearer sekrit-token-123',
        cookie: 'session=sekrit-cookie-456',
      },
    );
    expect(response.headers.get('x-request-id')).toBe('req-secret');
    expect(await lineFor(gateway, logs, 'req-secret')).toHaveLength(1);
    expect(logs.text()).not.toContain('sekrit');
  });

  it('probe and scrape paths are logged at debug, so they stay out of an info log', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${gateway.origin}${path}`, {
        headers: { 'x-request-id': `req-probe-${path.slice(1)}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe(`req-probe-${path.slice(1)}`);
    }
    await logBarrier(gateway, logs);
    expect(logs.text()).not.toContain('req-probe-');
  });
});

describe('the logger redacts secrets even when some code logs them', () => {
  it('request headers, cookies and set-cookie are replaced by the censor', () => {
    const logs = captureLogs('info');
    logs.logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', cookie: 'sid=1', accept: 'text/html' } },
        res: { headers: { 'set-cookie': 'sid=2' } },
        headers: { authorization: 'Basic xyz' },
      },
      'with secrets',
    );
    const [line] = logs.lines();
    expect(line).toMatchObject({
      req: { headers: { authorization: REDACTED, cookie: REDACTED, accept: 'text/html' } },
      res: { headers: { 'set-cookie': REDACTED } },
      headers: { authorization: REDACTED },
    });
    expect(logs.text()).not.toMatch(/Bearer abc|sid=1|sid=2|Basic xyz/);
  });
});

describe('LOG_LEVEL (real process)', () => {
  // A gateway process compiles its sources with tsx at start: slow on 2 busy cores.
  const PROCESS_TEST_TIMEOUT_MS = 90_000;

  function jsonLines(output: string): LogLine[] {
    return output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  // The output is read once the process has stopped: by then it has written everything it ever will.
  it(
    'warn: no request lines at all',
    async () => {
      const gateway = await startGatewayProcess({ LOG_LEVEL: 'warn' });
      let exitCode: number | null;
      try {
        const response = await postGraphQL(
          gateway.url,
          READ_QUERY,
          { userId: 'lvl-1' },
          { 'x-request-id': 'req-level-warn' },
        );
        expect(response.status).toBe(200);
      } finally {
        exitCode = await gateway.stop();
      }
      expect(exitCode).toBe(0);
      expect(gateway.output()).not.toContain('req-level-warn');
      expect(jsonLines(gateway.output()).filter((line) => line.msg === 'request')).toEqual([]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'debug: probes are logged too, at debug; a GraphQL request at info',
    async () => {
      const gateway = await startGatewayProcess({ LOG_LEVEL: 'debug' });
      let exitCode: number | null;
      try {
        await fetch(`${gateway.origin}/healthz`, { headers: { 'x-request-id': 'req-level-debug' } });
        const response = await postGraphQL(
          gateway.url,
          READ_QUERY,
          { userId: 'lvl-1' },
          { 'x-request-id': 'req-level-info' },
        );
        expect(response.status).toBe(200);
      } finally {
        exitCode = await gateway.stop();
      }
      expect(exitCode).toBe(0);
      const lines = jsonLines(gateway.output());
      expect(lines.filter((line) => line.reqId === 'req-level-debug')).toMatchObject([
        { level: 20, path: '/healthz', msg: 'request' },
      ]);
      expect(lines.filter((line) => line.reqId === 'req-level-info')).toMatchObject([
        { level: 30, operation: 'Read', msg: 'request' },
      ]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
