/**
 * The freshness inspector and the remote model's circuit breaker, through a real gateway (MODEL_URL) against a real
 * reference model server over HTTP. Shadow recomputes are background measurement: their failures must never open the
 * breaker that real misses go through, and a breaker opened by real traffic must keep the inspector off the service.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { READ_QUERY, describeBody, readRecs } from '../gateway/helpers.js';
import { waitFor } from '../support/wait.js';

const RANK_PATH = '/v1/rank';
const BREAKER_OPEN = 2;

/** Users whose lists are cached first and then only served from cache: every rank call for them is a shadow call. */
const cachedUsers = Array.from({ length: 6 }, (_, index) => `cached-${index}`);

function rankedUsers(body: unknown): readonly string[] {
  const userIds = (body as { userIds?: unknown } | undefined)?.userIds;
  return Array.isArray(userIds) ? userIds.filter((userId): userId is string => typeof userId === 'string') : [];
}

async function metric(gateway: InProcessGateway, name: string): Promise<number> {
  return sumOf(await scrape(gateway.origin), name);
}

describe('shadow recomputes and the model circuit breaker', () => {
  let server: InProcessModelServer;
  let gateway: InProcessGateway | undefined;
  beforeAll(async () => {
    server = await startModelServer({ version: 'v1' });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    server.fault(undefined);
    await gateway?.close();
    gateway = undefined;
  });

  async function startWarmGateway(): Promise<InProcessGateway> {
    // No version poll: it is the breaker's scheduled probe and would close it on its own schedule.
    const started = await startGateway({
      MODEL_URL: server.url,
      MODEL_VERSION_POLL_SECONDS: '0',
      MODEL_TIMEOUT_MS: '1000',
      FRESHNESS_INSPECTOR_PER_SECOND: '100',
      RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
    });
    gateway = started;
    for (const userId of cachedUsers) expect((await readRecs(started.url, userId)).source).toBe('MODEL');
    return started;
  }

  it('failing shadow recomputes alone never open the breaker: a miss afterwards is still computed', async () => {
    const warm = await startWarmGateway();
    // The service fails every rank call for the cached users (only shadow calls ask for them from here on).
    server.fault((request) =>
      request.url.startsWith(RANK_PATH) && rankedUsers(request.body).every((userId) => cachedUsers.includes(userId))
        ? { status: 500, body: '' }
        : undefined,
    );
    const shadowCallsBefore = server.requests.get(RANK_PATH) ?? 0;
    // One hit at a time, each waited for, so each is its own shadow call: with two retries each, three calls make
    // nine failed attempts in a row, far past the breaker's threshold of five.
    for (const [index, userId] of cachedUsers.slice(0, 3).entries()) {
      expect((await readRecs(warm.url, userId)).source).toBe('CACHE');
      await waitFor(
        `shadow recompute ${index + 1} failed`,
        async () => (await metric(warm, 'recs_freshness_inspections_failed_total')) >= index + 1,
        5_000,
      );
    }
    // The shadow calls did reach the service and did fail there.
    expect((server.requests.get(RANK_PATH) ?? 0) - shadowCallsBefore).toBeGreaterThanOrEqual(3);
    expect(await metric(warm, 'recs_model_breaker_state')).toBe(0);

    const miss = await postGraphQL(warm.url, READ_QUERY, { userId: 'never-seen' });
    expect(miss.body.errors, describeBody(miss.body)).toBeUndefined();
    expect((miss.body.data?.recommendations as { source?: string } | undefined)?.source).toBe('MODEL');
  });

  it('while real traffic has the breaker open, the inspector does not call the model', async () => {
    const warm = await startWarmGateway();
    server.fault((request) => (request.url.startsWith(RANK_PATH) ? { status: 500, body: '' } : undefined));
    // Real misses fail: two of them, three attempts each, open the breaker (threshold five).
    for (const userId of ['down-1', 'down-2']) {
      const miss = await postGraphQL(warm.url, READ_QUERY, { userId });
      expect(miss.body.errors?.[0]?.extensions?.code, describeBody(miss.body)).toBe('MODEL_UNAVAILABLE');
    }
    expect(await metric(warm, 'recs_model_breaker_state')).toBe(BREAKER_OPEN);
    const rankCallsWhileOpen = server.requests.get(RANK_PATH) ?? 0;

    // Hits are still served, and offered to the inspector, which finds the model down without asking it.
    for (const userId of cachedUsers) expect((await readRecs(warm.url, userId)).source).toBe('CACHE');
    await waitFor(
      'the shadow recomputes were given up',
      async () => (await metric(warm, 'recs_freshness_inspections_failed_total')) >= cachedUsers.length,
      5_000,
    );
    expect(server.requests.get(RANK_PATH) ?? 0).toBe(rankCallsWhileOpen);
    expect(await metric(warm, 'recs_model_breaker_state')).toBe(BREAKER_OPEN);
  });
});
