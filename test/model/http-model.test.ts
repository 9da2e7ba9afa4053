/**
 * HttpModel against a real reference model server (in-process, real HTTP): batching through the gateway, the split
 * at MODEL_MAX_BATCH, and every failure of the service (slow, 500s, malformed JSON, wrong shape, down), which must
 * end in a clear error within a bound, never a hang, and drive the circuit breaker open and closed again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelServiceError } from '../../src/errors.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import { HttpModel } from '../../src/model/http-model.js';
import type { HttpModelOptions } from '../../src/model/http-model.js';
import type { RankedList } from '../../src/model/model.js';
import { postGraphQL, startGateway } from '../support/gateway.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { decodeStored } from '../../src/cache/entry-codec.js';
import { Cleanups, describeBody, keysOn, within } from '../gateway/helpers.js';
import { sleep, waitFor } from '../support/wait.js';

const cleanups = new Cleanups();
afterAll(async () => {
  await cleanups.run();
});

function httpModel(server: { url: string }, options: Partial<HttpModelOptions> = {}): HttpModel {
  const model = new HttpModel({
    url: server.url,
    timeoutMs: 1_000,
    maxBatch: 100,
    versionPollMs: 0,
    initialVersion: 'v0',
    ...options,
  });
  cleanups.add(() => model.close());
  return model;
}

async function failure(promise: Promise<unknown>): Promise<ModelServiceError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ModelServiceError);
  return error as ModelServiceError;
}

function batchQuery(userIds: readonly string[]): string {
  const fields = userIds.map(
    (userId, index) => `u${index}: recommendations(userId: "${userId}", first: 5) { userId modelVersion source }`,
  );
  return `{ ${fields.join(' ')} }`;
}

const NO_LIMITS = { RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000' };

describe('HttpModel through the gateway (MODEL_URL)', () => {
  let server: InProcessModelServer;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
  });

  it('a 50-user query is exactly one rank call on the server; the second read is 50 hits and no call', async () => {
    const gateway = await startGateway({ MODEL_URL: server.url, ...NO_LIMITS });
    cleanups.add(() => gateway.close());
    expect(gateway.app.model.currentVersion()).toBe('v1');
    const users = Array.from({ length: 50 }, (_, index) => `batch-${index}`);
    const before = server.model.calls;

    const first = await postGraphQL(gateway.url, batchQuery(users));
    expect(first.body.errors, describeBody(first.body)).toBeUndefined();
    expect(server.model.calls - before).toBe(1);
    expect(server.model.scoreCalls.at(-1)?.slice().sort()).toEqual(users.slice().sort());
    const lists = Object.values(first.body.data ?? {}) as Array<{
      userId: string;
      modelVersion: string;
      source: string;
    }>;
    expect(lists.map((list) => list.userId)).toEqual(users);
    expect(new Set(lists.map((list) => `${list.modelVersion}/${list.source}`))).toEqual(new Set(['v1/MODEL']));

    const second = await postGraphQL(gateway.url, batchQuery(users));
    expect(server.model.calls - before).toBe(1);
    const again = Object.values(second.body.data ?? {}) as Array<{ source: string }>;
    expect(new Set(again.map((list) => list.source))).toEqual(new Set(['CACHE']));
  });

  it('splits a batch larger than MODEL_MAX_BATCH into calls of at most that many users', async () => {
    const gateway = await startGateway({ MODEL_URL: server.url, MODEL_MAX_BATCH: '20', ...NO_LIMITS });
    cleanups.add(() => gateway.close());
    const users = Array.from({ length: 50 }, (_, index) => `split-${index}`);
    const before = server.model.scoreCalls.length;
    const result = await postGraphQL(gateway.url, batchQuery(users));
    expect(result.body.errors, describeBody(result.body)).toBeUndefined();
    const sizes = server.model.scoreCalls
      .slice(before)
      .map((batch) => batch.length)
      .sort((a, b) => a - b);
    expect(sizes).toEqual([10, 20, 20]);
    const lists = Object.values(result.body.data ?? {}) as Array<{ userId: string }>;
    expect(lists.map((list) => list.userId)).toEqual(users);
  });

  it('keeps the order of users across split chunks, each list computed for its own user', async () => {
    const model = httpModel(server, { maxBatch: 3 });
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const lists = (await model.scoreAndRank(users, 10)) as RankedList[];
    const local = (await new BuiltinModel({ version: 'v1' }).scoreAndRank(users, 10)) as RankedList[];
    expect(lists).toEqual(local);
  });

  it('records purchases on the service, which then excludes the item', async () => {
    const model = httpModel(server);
    const [before] = (await model.scoreAndRank(['buyer-1'], 10)) as RankedList[];
    const bought = before?.items[0]?.itemId ?? '';
    await model.recordPurchase('buyer-1', bought);
    await model.recordPurchase('buyer-1', bought);
    const [after] = (await model.scoreAndRank(['buyer-1'], 10)) as RankedList[];
    expect(after?.items.map((item) => item.itemId)).not.toContain(bought);
  });
});

describe('HttpModel failures: errors within a bound, never hangs', () => {
  let server: InProcessModelServer;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
  });
  afterEach(() => {
    server.fault(undefined);
    server.requests.clear();
  });

  it('times out a slow service (MODEL_LATENCY_MS above MODEL_TIMEOUT_MS) within the budget', async () => {
    const slow = await startModelServer({ version: 'v1', latencyMs: 3_000 });
    cleanups.add(() => slow.close());
    const model = httpModel(slow, { timeoutMs: 200 });
    const started = performance.now();
    const error = await failure(model.scoreAndRank(['slow-user'], 10));
    const elapsed = performance.now() - started;
    expect(error.reason).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(190);
    // Far below the server's 3 s: the budget, not the answer, ended the call (with slack for a busy machine).
    expect(elapsed).toBeLessThan(1_500);
    // A timeout spends the budget: it is not retried.
    expect(slow.requests.get('/v1/rank')).toBe(1);
  });

  it('retries 500s within the budget, then fails with the status', async () => {
    server.fault(() => ({ status: 500, body: '{"error":"boom"}' }));
    const model = httpModel(server, { retries: 2, retryBaseMs: 10 });
    const error = await failure(model.scoreAndRank(['u-500'], 10));
    expect(error.reason).toBe('http-status');
    expect(error.status).toBe(500);
    expect(server.requests.get('/v1/rank')).toBe(3);
  });

  it('recovers when a retry succeeds (a 503 during a restart)', async () => {
    let calls = 0;
    server.fault(() => (++calls === 1 ? { status: 503, body: '' } : undefined));
    const model = httpModel(server, { retries: 2, retryBaseMs: 10 });
    const [list] = (await model.scoreAndRank(['u-503'], 10)) as RankedList[];
    expect(list?.items).toHaveLength(10);
    expect(server.requests.get('/v1/rank')).toBe(2);
  });

  it('does not retry a 400: the request itself is wrong', async () => {
    server.fault(() => ({ status: 400, body: '{"error":"no"}' }));
    const model = httpModel(server, { retries: 2, retryBaseMs: 10 });
    const error = await failure(model.scoreAndRank(['u-400'], 10));
    expect(error).toMatchObject({ reason: 'http-status', status: 400 });
    expect(server.requests.get('/v1/rank')).toBe(1);
    expect(model.breakerState).toBe('closed');
  });

  it('reports malformed JSON as a bad response, not retried and not a crash', async () => {
    server.fault(() => ({ status: 200, body: '{"modelVersion":"v1","lists":[{"userId":' }));
    const model = httpModel(server, { retries: 2, retryBaseMs: 10 });
    const error = await failure(model.scoreAndRank(['u-json'], 10));
    expect(error.reason).toBe('bad-response');
    expect(error.message).toContain('not JSON');
    expect(server.requests.get('/v1/rank')).toBe(1);
  });

  it.each([
    ['too few lists', '{"modelVersion":"v1","lists":[]}', 'lists must be an array of 1 entries'],
    [
      'another user',
      '{"modelVersion":"v1","lists":[{"userId":"someone-else","modelVersion":"v1","items":[]}]}',
      'lists[0].userId',
    ],
    [
      'a version that would forge a key',
      '{"modelVersion":"v1","lists":[{"userId":"u-shape","modelVersion":"v1}:x","items":[]}]}',
      'lists[0].modelVersion',
    ],
    [
      'a score that is not a number',
      '{"modelVersion":"v1","lists":[{"userId":"u-shape","modelVersion":"v1","items":[{"itemId":"i1","score":"high"}]}]}',
      'lists[0].items[0].score',
    ],
    ['no version', '{"lists":[{"userId":"u-shape","modelVersion":"v1","items":[]}]}', 'modelVersion must be'],
    ['an array body', '[1,2,3]', 'body must be a JSON object'],
  ])('rejects a wrong shape (%s), naming the field', async (_name, body, expected) => {
    server.fault(() => ({ status: 200, body }));
    const model = httpModel(server);
    const error = await failure(model.scoreAndRank(['u-shape'], 10));
    expect(error.reason).toBe('bad-response');
    expect(error.message).toContain(expected);
    expect(model.currentVersion()).toBe('v0');
  });

  it('turns a per-user error in a good answer into an Error for that user alone', async () => {
    server.fault(() => ({
      status: 200,
      body: JSON.stringify({
        modelVersion: 'v1',
        lists: [
          { userId: 'ok-user', modelVersion: 'v1', items: [{ itemId: 'i1', score: 1 }] },
          { userId: 'bad-user', error: 'unknown user' },
        ],
      }),
    }));
    const model = httpModel(server);
    const [ok, bad] = await model.scoreAndRank(['ok-user', 'bad-user'], 10);
    expect(ok).toEqual({ userId: 'ok-user', modelVersion: 'v1', items: [{ itemId: 'i1', score: 1 }] });
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toContain('unknown user');
  });

  it('fails fast when the service is down (connection refused), for every kind of call', async () => {
    const gone = await startModelServer({ version: 'v1' });
    await gone.close();
    // A high threshold, so the breaker (tested below) stays out of the way: each call really tries the network.
    const model = httpModel(gone, {
      retries: 2,
      retryBaseMs: 10,
      breaker: { failureThreshold: 100, coolDownMs: 1_000 },
    });
    const started = performance.now();
    const errors = [
      await failure(model.scoreAndRank(['u-down'], 10)),
      await failure(model.recordPurchase('u-down', 'i1')),
      await failure(model.ping()),
    ];
    expect(errors.map((error) => error.reason)).toEqual(['unreachable', 'unreachable', 'unreachable']);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await model.init()).toBe(false);
    expect(model.currentVersion()).toBe('v0');
  });

  it('opens the breaker after N failures (failing fast without a request), and closes it after a good probe', async () => {
    server.fault(() => ({ status: 500, body: '' }));
    const states: string[] = [];
    // The breaker's cool-down runs on this clock: the test moves it past the cool-down instead of waiting.
    let nowMs = Date.now();
    const model = httpModel(server, {
      retries: 0,
      breaker: { failureThreshold: 3, coolDownMs: 300 },
      telemetry: { breakerState: (state) => states.push(state) },
      now: () => nowMs,
    });
    for (let i = 0; i < 3; i += 1)
      expect((await failure(model.scoreAndRank([`b-${i}`], 10))).reason).toBe('http-status');
    expect(model.breakerState).toBe('open');
    expect(server.requests.get('/v1/rank')).toBe(3);

    const started = performance.now();
    const refused = await failure(model.scoreAndRank(['b-refused'], 10));
    expect(refused.reason).toBe('circuit-open');
    expect(performance.now() - started).toBeLessThan(100);
    expect(server.requests.get('/v1/rank')).toBe(3);

    // Still failing when the cool-down ends: the one probe fails and the breaker opens again.
    nowMs += 320;
    expect(model.breakerState).toBe('half-open');
    expect((await failure(model.scoreAndRank(['b-probe'], 10))).reason).toBe('http-status');
    expect(model.breakerState).toBe('open');
    expect(server.requests.get('/v1/rank')).toBe(4);

    server.fault(undefined);
    nowMs += 320;
    const [list] = (await model.scoreAndRank(['b-recovered'], 10)) as RankedList[];
    expect(list?.items).toHaveLength(10);
    expect(model.breakerState).toBe('closed');
    expect(states[0]).toBe('open');
    expect(states.at(-1)).toBe('closed');
  });
});

describe('the version poll as the breaker probe', () => {
  let server: InProcessModelServer;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
  });

  it('goes out once even while the breaker is open, and a good answer closes it before the cool-down ends', async () => {
    server.fault(() => ({ status: 503, body: '' }));
    const model = httpModel(server, {
      retries: 2,
      retryBaseMs: 5,
      breaker: { failureThreshold: 2, coolDownMs: 60_000 },
    });
    expect(await model.refreshVersion()).toBe(false);
    // A poll makes one attempt, whatever `retries` says: the next poll is its retry.
    expect(server.requests.get('/v1/version')).toBe(1);
    expect(await model.refreshVersion()).toBe(false);
    expect(model.breakerState).toBe('open');
    expect(await model.refreshVersion()).toBe(false);
    expect(server.requests.get('/v1/version')).toBe(3);
    expect((await failure(model.ping())).reason).toBe('circuit-open');

    server.fault(undefined);
    expect(await model.refreshVersion()).toBe(true);
    expect(model.breakerState).toBe('closed');
    expect(model.currentVersion()).toBe('v1');
    const [list] = (await model.scoreAndRank(['after-probe'], 5)) as RankedList[];
    expect(list?.items).toHaveLength(5);
  });
});

describe('shadow calls and the breaker', () => {
  let server: InProcessModelServer;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
  });

  it('never count toward it, go out only while it is closed, and leave the half-open probe to real traffic', async () => {
    let failing = true;
    server.fault(() => (failing ? { status: 500, body: '' } : undefined));
    let nowMs = Date.now();
    const model = httpModel(server, {
      retries: 0,
      breaker: { failureThreshold: 2, coolDownMs: 300 },
      now: () => nowMs,
    });
    const shadow = model.forShadowCalls();
    const ranks = (): number => server.requests.get('/v1/rank') ?? 0;

    for (let i = 0; i < 5; i += 1)
      expect((await failure(shadow.scoreAndRank([`s-${i}`], 5))).reason).toBe('http-status');
    expect(ranks()).toBe(5);
    expect(model.breakerState).toBe('closed');

    // Nor does a shadow success hide real failures: one before it and one after it still open the breaker.
    expect((await failure(model.scoreAndRank(['r-1'], 5))).reason).toBe('http-status');
    failing = false;
    const [shadowList] = (await shadow.scoreAndRank(['s-ok'], 5)) as RankedList[];
    expect(shadowList?.items).toHaveLength(5);
    failing = true;
    expect((await failure(model.scoreAndRank(['r-2'], 5))).reason).toBe('http-status');
    expect(model.breakerState).toBe('open');

    const whileDown = ranks();
    expect((await failure(shadow.scoreAndRank(['s-open'], 5))).reason).toBe('circuit-open');
    nowMs += 320;
    expect(model.breakerState).toBe('half-open');
    expect((await failure(shadow.scoreAndRank(['s-half-open'], 5))).reason).toBe('circuit-open');
    expect(ranks()).toBe(whileDown);

    failing = false;
    const [probed] = (await model.scoreAndRank(['r-probe'], 5)) as RankedList[];
    expect(probed?.items).toHaveLength(5);
    expect(model.breakerState).toBe('closed');
    expect(ranks()).toBe(whileDown + 1);
  });
});

describe('the gateway degrades as documented when the model service fails', () => {
  let server: InProcessModelServer;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
  });

  it('serves a graced list as STALE, fails a user with nothing cached as MODEL_UNAVAILABLE, within the timeout', async () => {
    const gateway = await startGateway({
      MODEL_URL: server.url,
      MODEL_TIMEOUT_MS: '300',
      CACHE_TTL_SECONDS: '1',
      CACHE_GRACE_SECONDS: '3600',
      ...NO_LIMITS,
    });
    cleanups.add(() => gateway.close());
    const query = 'query ($u: ID!) { recommendations(userId: $u, first: 3) { modelVersion source } }';
    const warm = await postGraphQL(gateway.url, query, { u: 'graced' });
    expect(warm.body.data?.recommendations).toEqual({ modelVersion: 'v1', source: 'MODEL' });
    // The scenario: the list's real 1 s TTL lapses (the gateway reads the wall clock here), leaving it graced.
    await sleep(1_200);

    // Slower than the budget: every model call times out.
    server.fault(() => ({ status: 200, body: '{}', delayMs: 2_000 }));
    try {
      const stale = await within(1_000, postGraphQL(gateway.url, query, { u: 'graced' }), 'stale read');
      expect(stale.body.data?.recommendations).toEqual({ modelVersion: 'v1', source: 'STALE' });
      const started = performance.now();
      const missing = await within(
        2_500,
        postGraphQL(gateway.url, query, { u: 'never-seen' }),
        'miss with the model down',
      );
      // The 300 ms budget, not the service's 2 s, bounds it (with slack for a busy machine).
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(missing.body.errors?.[0]?.extensions?.code).toBe('MODEL_UNAVAILABLE');
    } finally {
      server.fault(undefined);
    }
  });
});

describe('versions follow the model service', () => {
  let server: InProcessModelServer;
  let redis: RedisProcess;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
    redis = await startRedis();
    cleanups.add(() => redis.stop());
  });
  afterEach(() => server.fault(undefined));

  it('learns the version at init, and from every rank answer', async () => {
    const model = httpModel(server);
    expect(model.currentVersion()).toBe('v0');
    expect(await model.init()).toBe(true);
    expect(model.currentVersion()).toBe('v1');
    server.fault((request) =>
      request.url === '/v1/rank'
        ? { status: 200, body: '{"modelVersion":"v7","lists":[{"userId":"x","modelVersion":"v7","items":[]}]}' }
        : undefined,
    );
    await model.scoreAndRank(['x'], 10);
    expect(model.currentVersion()).toBe('v7');
  });

  it('never flips back to a version from an answer sent before the one it learned from', async () => {
    const model = httpModel(server);
    await model.init();
    // The rank call goes out first and is answered late, by the old version; the poll goes out second, answered by v2.
    server.fault((request) =>
      request.url === '/v1/rank'
        ? {
            status: 200,
            delayMs: 300,
            body: '{"modelVersion":"v1","lists":[{"userId":"late","modelVersion":"v1","items":[]}]}',
          }
        : { status: 200, body: '{"modelVersion":"v2"}' },
    );
    const ranksBefore = server.requests.get('/v1/rank') ?? 0;
    const late = model.scoreAndRank(['late'], 10);
    // The rank call has reached the server (which holds its answer 300 ms) before the version moves on.
    await waitFor('the late rank call to reach the server', () => (server.requests.get('/v1/rank') ?? 0) > ranksBefore);
    expect(await model.refreshVersion()).toBe(true);
    expect(model.currentVersion()).toBe('v2');
    const [list] = (await late) as RankedList[];
    expect(list?.modelVersion).toBe('v1');
    expect(model.currentVersion()).toBe('v2');
  });

  it('stores a list under the version that computed it, never the one the gateway expected', async () => {
    const gateway = await startGateway({
      MODEL_URL: server.url,
      REDIS_URL: redis.url,
      MODEL_VERSION_POLL_SECONDS: '0',
      ...NO_LIMITS,
    });
    cleanups.add(() => gateway.close());
    expect(gateway.app.model.currentVersion()).toBe('v1');
    // The service has moved on to v2 (its version endpoint says so, and the gateway switches), but this rank answer
    // was computed by v1: a real mid-rollout mix.
    const v1 = new BuiltinModel({ version: 'v1' });
    const model = gateway.app.model as HttpModel;
    server.fault(async (request) => {
      if (request.url === '/v1/version') return { status: 200, body: '{"modelVersion":"v2"}' };
      if (request.url !== '/v1/rank') return undefined;
      const { userIds, limit } = request.body as { userIds: string[]; limit: number };
      return {
        status: 200,
        body: JSON.stringify({ modelVersion: 'v2', lists: await v1.scoreAndRank(userIds, limit) }),
      };
    });
    await model.refreshVersion();
    expect(model.currentVersion()).toBe('v2');

    const read = await postGraphQL(gateway.url, 'query { recommendations(userId: "mixed") { modelVersion source } }');
    expect(read.body.data?.recommendations).toEqual({ modelVersion: 'v1', source: 'MODEL' });
    const keys = (await keysOn(redis.port, 'recs:{mixed}:*')).filter((key) => !key.endsWith(':lease'));
    expect(keys).toEqual(['recs:{mixed}:v1']);
    const stored = decodeStored(await redisCli(redis.port, 'GET', 'recs:{mixed}:v1'));
    expect(stored?.kind === 'entry' && stored.entry.modelVersion).toBe('v1');
    expect(model.currentVersion()).toBe('v2');
  });
});
