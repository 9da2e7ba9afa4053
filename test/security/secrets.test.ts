/**
 * Secrets stay secret: in production mode an internal error reaches the client as "Internal server
 * error" with no message, stack trace or path of its own, and neither responses nor logs ever contain a bearer token
 * (valid or not), Basic credentials or AUTH_JWT_SECRET, after a mix of good, failing and hostile requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { Model, RankedList } from '../../src/model/model.js';
import { startGateway, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess, InProcessGateway } from '../support/gateway.js';
import { captureLogs, requestLines } from '../support/log-capture.js';
import type { CapturedLogger } from '../support/log-capture.js';
import { Cleanups } from '../gateway/helpers.js';
import {
  PURCHASE_MUTATION,
  READ_QUERY,
  SECRET,
  forgedToken,
  gql,
  hsToken,
  readResponse,
  tamperedSignature,
  unsignedToken,
} from './helpers.js';
import type { RawResponse } from './helpers.js';

/** What a driver might put in an error message: a connection string with a password. */
const FAKE_SECRET = 'pw-F4KE-5ECRET-9c2e';
const DRIVER_MESSAGE = `connect ECONNREFUSED postgres://recs:${FAKE_SECRET}@db.internal:5432/recs`;
const BASIC = Buffer.from(`operator:hunter2-${FAKE_SECRET}`).toString('base64');

/**
 * The built-in model, except that purchases of item `i4242` (the boom item) and rankings for user `model-boom` fail with the driver
 * message, and user `leaky-items` is ranked an item id the catalogue does not know, carrying the driver message: the
 * item resolver then fails with an unexpected (internal) error that names it.
 */
// A real catalogue item: made-up ones are refused before the model is asked.
const BOOM_ITEM = 'i4242';

class LeakyModel implements Model {
  readonly #inner = new BuiltinModel({ version: 'v1' });
  currentVersion(): string {
    return this.#inner.currentVersion();
  }
  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    if (userIds.includes('model-boom')) throw new Error(DRIVER_MESSAGE);
    const lists = await this.#inner.scoreAndRank(userIds, limit);
    return lists.map((list) =>
      list instanceof Error || list.userId !== 'leaky-items'
        ? list
        : { ...list, items: [{ itemId: DRIVER_MESSAGE, score: 1 }] },
    );
  }
  async recordPurchase(userId: string, itemId: string): Promise<void> {
    if (itemId === BOOM_ITEM) throw new Error(DRIVER_MESSAGE);
    return this.#inner.recordPurchase(userId, itemId);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

interface Mix {
  /** Every token and credential sent, valid or not. */
  readonly credentials: string[];
  readonly responses: RawResponse[];
}

/** A mix of requests: good ones, failed authentication of every kind, hostile bodies. Returns what was sent and got. */
async function sendMix(url: string): Promise<Mix> {
  const service = await hsToken({ sub: 'secrets-service', scope: 'recommendations:read:any purchases:write' });
  const user = await hsToken({ sub: 'secrets-user' });
  const expired = await hsToken({ sub: 'secrets-service', expiresIn: -60 });
  const otherKey = await hsToken({ sub: 'secrets-service', secret: `${SECRET}-but-another-one` });
  const forged = forgedToken(user, 'secrets-service', 'admin');
  const tampered = tamperedSignature(service);
  const unsigned = unsignedToken('secrets-service', 'admin');
  const garbage = `garbage-${FAKE_SECRET}`;
  const credentials = [service, user, expired, otherKey, forged, tampered, unsigned, garbage, BASIC, SECRET];
  const responses: RawResponse[] = [];
  const post = async (
    query: string,
    variables: Record<string, unknown> | undefined,
    authorization: string | undefined,
  ) =>
    responses.push(await gql(url, query, variables, { headers: authorization === undefined ? {} : { authorization } }));

  await post(READ_QUERY, { userId: 'secrets-user', first: 2 }, `Bearer ${service}`);
  await post(READ_QUERY, { userId: 'secrets-user', first: 2 }, `Bearer ${user}`);
  await post(READ_QUERY, { userId: 'someone-else' }, `Bearer ${user}`);
  for (const token of [expired, otherKey, forged, tampered, unsigned, garbage]) {
    await post(READ_QUERY, { userId: 'secrets-user' }, `Bearer ${token}`);
  }
  await post(READ_QUERY, { userId: 'secrets-user' }, `Basic ${BASIC}`);
  await post(READ_QUERY, { userId: 'secrets-user' }, undefined);
  await post('{ nope }', undefined, `Bearer ${service}`);
  await post('{ recommendations(', undefined, `Bearer ${service}`);
  await post(READ_QUERY, { userId: 'bad id' }, `Bearer ${service}`);
  // Bodies that carry a token themselves: unparsable, and too large.
  const raw = async (body: string, headers: Record<string, string>) =>
    responses.push(
      await readResponse(
        await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }),
      ),
    );
  await raw(`{"query": "${service}`, { authorization: `Bearer ${service}` });
  await raw(JSON.stringify({ query: '{ __typename }', variables: { token: service, pad: 'x'.repeat(70_000) } }), {
    authorization: `Bearer ${service}`,
  });
  // A token in the query string, where some clients put it.
  responses.push(
    await readResponse(
      await fetch(`${url}?access_token=${service}&query=%7B__typename%7D`, {
        headers: { 'apollo-require-preflight': 'true' },
      }),
    ),
  );
  return { credentials, responses };
}

function expectNoSecrets(text: string, credentials: readonly string[], where: string): void {
  for (const credential of credentials) {
    expect(text.includes(credential), `${where} contains a credential (${credential.slice(0, 12)}…)`).toBe(false);
    // Nor a token's signature alone (the part that makes it usable).
    const signature = credential.split('.')[2];
    if (signature !== undefined && signature.length > 16)
      expect(text.includes(signature), `${where} contains a token signature`).toBe(false);
  }
  expect(text.includes(SECRET), `${where} contains AUTH_JWT_SECRET`).toBe(false);
  expect(text.includes('hunter2'), `${where} contains Basic credentials`).toBe(false);
}

describe('production mode, in process (captured pino logger at debug level)', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let logs: CapturedLogger;
  let service: string;

  beforeAll(async () => {
    logs = captureLogs('debug');
    gateway = await startGateway(
      { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'debug' },
      { model: new LeakyModel(), logger: logs.logger },
    );
    cleanups.add(() => gateway.close());
    service = await hsToken({ sub: 'secrets-service', scope: 'recommendations:read:any purchases:write' });
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('an internal error (a driver message reaches a resolver) → "Internal server error": no message, stack trace of its own', async () => {
    const response = await gql(gateway.url, READ_QUERY, { userId: 'leaky-items' }, { token: service });
    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([
      {
        message: 'Internal server error',
        path: ['recommendations', 'items', 0, 'item'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(response.text).not.toContain(FAKE_SECRET);
    expect(response.text).not.toMatch(/postgres|db\.internal|stacktrace|\bat \w|\.ts:\d+|node_modules/);
  });

  it('a purchase the model fails to record still invalidates (the store remembers it), and says nothing of the driver', async () => {
    const response = await gql(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'secrets-user', itemId: BOOM_ITEM, orderId: 'boom-1' } },
      { token: service },
    );
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      recordPurchase: {
        userId: 'secrets-user',
        itemId: BOOM_ITEM,
        orderId: 'boom-1',
        invalidated: true,
        duplicate: false,
      },
    });
    expect(response.text).not.toContain(FAKE_SECRET);
  });

  it('a failing model read → MODEL_UNAVAILABLE with its generic message only', async () => {
    const response = await gql(gateway.url, READ_QUERY, { userId: 'model-boom' }, { token: service });
    expect(response.code).toBe('MODEL_UNAVAILABLE');
    expect(response.errors[0]?.message).toBe(
      'The recommendation model is unavailable and no cached list could be served; retry shortly.',
    );
    expect(response.text).not.toContain(FAKE_SECRET);
    expect(response.text).not.toMatch(/postgres|stacktrace/);
  });

  it('after a mix including failed authentication: no credential or secret in any response or in the logs', async () => {
    const { credentials, responses } = await sendMix(gateway.url);
    // The mix did what it should: some answers, a 401 for every bad credential, a 400, a 413.
    const statuses = responses.map((response) => response.status);
    // 6 bad tokens, Basic, none, and the GET with its token in the query string (never read from there).
    expect(statuses.filter((status) => status === 401)).toHaveLength(9);
    expect(statuses).toContain(200);
    expect(statuses).toContain(413);
    for (const [index, response] of responses.entries()) {
      expectNoSecrets(response.text, credentials, `response #${index}`);
      expect(response.text, `response #${index}`).not.toMatch(/stacktrace/);
    }
    // The logger really captured those requests (one line each, found by the request id each response carries, so
    // lines other tests left in the same logger do not count), and nothing secret with them. They were sent one after
    // another, so once the last one's line is written, so are the others'.
    const requestIds = responses.map((response) => response.headers.get('x-request-id'));
    await logs.next((line) => line.msg === 'request' && line.reqId === requestIds.at(-1));
    const logged = requestLines(logs.lines()).map((line) => line.reqId);
    expect(requestIds.filter((id) => id === null || logged.filter((reqId) => reqId === id).length !== 1)).toEqual([]);
    expectNoSecrets(logs.text(), credentials, 'the logs');
    expect(logs.text()).not.toContain('authorization');
  });

  it('the internal error is not lost: logged at error level with its cause for operators, with no credential', async () => {
    // This test counts only the lines of failures it causes itself: the tests above log into the same logger.
    const before = logs.lines().length;
    await gql(gateway.url, READ_QUERY, { userId: 'leaky-items' }, { token: service });
    const purchase = await gql(
      gateway.url,
      PURCHASE_MUTATION,
      { input: { userId: 'secrets-user', itemId: BOOM_ITEM, orderId: 'boom-2' } },
      { token: service },
    );
    const purchaseId = purchase.headers.get('x-request-id');
    await logs.next((line) => line.msg === 'request' && line.reqId === purchaseId);
    const lines = logs.lines().slice(before);
    const errors = lines.filter((line) => line.level === 50 && /unexpected error/.test(line.msg ?? ''));
    expect(errors).toHaveLength(1);
    const [logged] = errors;
    expect(logged?.operation).toBe('Read');
    expect(logged?.path).toEqual(['recommendations', 'items', 0, 'item']);
    expect(JSON.stringify(logged?.err)).toContain(DRIVER_MESSAGE);
    // The request log line of the failed read says how it ended.
    expect(
      requestLines(lines).filter((line) => line.operation === 'Read' && line.outcome === 'error').length,
    ).toBeGreaterThanOrEqual(1);
    // The model's failure to record the purchase is logged for operators too.
    expect(lines.some((line) => line.level === 50 && /did not record the purchase/.test(line.msg ?? ''))).toBe(true);
    expect(logs.text().includes(SECRET)).toBe(false);
    expect(logs.text().includes(service)).toBe(false);
  });
});

describe('production mode, as its own process (everything it writes: pino, Apollo, Node)', () => {
  const cleanups = new Cleanups();
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'debug' });
    cleanups.add(() => gateway.stop());
  }, 90_000);

  afterAll(async () => {
    await cleanups.run();
  });

  it('no credential or secret in its whole output after the same mix; request lines were written', async () => {
    const { credentials, responses } = await sendMix(gateway.url);
    for (const [index, response] of responses.entries())
      expectNoSecrets(response.text, credentials, `response #${index}`);
    // stop() resolves once the process has exited and its output has been read to the end: every line is in.
    expect(await gateway.stop()).toBe(0);
    const output = gateway.output();
    expect((output.match(/"msg":"request"/g) ?? []).length).toBeGreaterThanOrEqual(responses.length);
    expectNoSecrets(output, credentials, 'the process output');
  }, 60_000);
});
