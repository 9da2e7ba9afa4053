/**
 * Freshness end to end. On the read path (a real memory store, the real drifting built-in model, one fake clock for
 * both): a fast-drifting user's list is recomputed far more often than a slow one's, because each recompute measures
 * the drift against the list it replaces and the drift-tuned TTL follows it; a drift-bounded grace computes instead
 * of serving a list too far gone; a sampled read never waits for its shadow recompute. Through a real gateway over
 * HTTP: the inspector's `recs_served_divergence` moves when the model drifts under a list still served from cache,
 * and its shadow recomputes never use a client's compute budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { DriftTracker } from '../../src/freshness/drift-tracker.js';
import { FreshnessInspector } from '../../src/freshness/inspector.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import { userPace } from '../../src/model/drift.js';
import { silentLogger } from '../../src/telemetry/events.js';
import { CountingModel, GatedModel } from '../support/models.js';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { READ_QUERY, readRecs } from '../gateway/helpers.js';
import { GRACE_MS, ManualClock, TTL_MS, catalog, createService } from '../recs/service-fixture.js';
import { sleep, waitFor } from '../support/wait.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const users = Array.from({ length: 500 }, (_, index) => `drift-user-${index}`);
const fastUser = users.find((userId) => userPace(userId) > 3) as string;
const slowUser = users.find((userId) => userPace(userId) < 0.04) as string;

/**
 * Lets background recomputes (model call, then store write) run to completion between reads: event-loop turns, not
 * time, as the memory store and the in-process model finish within a few turns and expose no event of their own.
 */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('drift-tuned TTL on the read path', () => {
  it('refreshes a fast-drifting user much sooner than a slow one, carrying the estimate in the entry', async () => {
    expect(fastUser).toBeDefined();
    expect(slowUser).toBeDefined();
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const model = new CountingModel(
      new BuiltinModel({ version: 'v1', catalog: catalog(), listSize: 20, drift: { clock: clock.now } }),
    );
    const drift = new DriftTracker({
      policy: {
        baseTtlMs: TTL_MS,
        minTtlMs: MINUTE,
        maxTtlMs: TTL_MS,
        jitter: 0,
        activityWindowMs: 24 * HOUR,
        targetDivergence: 0.1,
        minDriftTtlMs: MINUTE,
        maxDriftTtlMs: 6 * HOUR,
      },
      tuning: true,
      graceMs: GRACE_MS,
    });
    const service = createService(store, model, { clock, freshness: { drift } });

    // Both users read once a minute for three simulated hours.
    for (let minute = 0; minute < 180; minute++) {
      const served = await service.loadMany([fastUser, slowUser]);
      for (const list of served) expect(list).not.toBeInstanceOf(Error);
      await settle();
      clock.advance(MINUTE);
    }

    const computes = (userId: string): number => model.scoreCalls.flat().filter((id) => id === userId).length;
    // Without an estimate both would be recomputed every 10 minutes (18 times): the policy moved them apart.
    expect(computes(fastUser)).toBeGreaterThan(40);
    expect(computes(slowUser)).toBeLessThan(8);

    const [fast, slow] = await store.readMany([userKeys('', fastUser, 'v1'), userKeys('', slowUser, 'v1')]);
    const ttlOf = (entry: { freshUntil: number; generatedAt: number } | undefined): number =>
      entry ? entry.freshUntil - entry.generatedAt : Number.NaN;
    expect(ttlOf(fast?.entry)).toBeLessThan(5 * MINUTE);
    expect(ttlOf(slow?.entry)).toBeGreaterThan(TTL_MS);
    expect(fast?.entry?.drift?.samples).toBeGreaterThan(10);
    expect(fast?.entry?.drift?.ratePerHour).toBeGreaterThan(20 * (slow?.entry?.drift?.ratePerHour ?? Infinity));
  });

  it("gives a user whose list lapsed today's TTL again: the estimate lives in the entry", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const model = new BuiltinModel({ version: 'v1', catalog: catalog(), listSize: 20, drift: { clock: clock.now } });
    const drift = new DriftTracker({
      policy: {
        baseTtlMs: TTL_MS,
        minTtlMs: MINUTE,
        maxTtlMs: TTL_MS,
        jitter: 0,
        activityWindowMs: 24 * HOUR,
        targetDivergence: 0.1,
        minDriftTtlMs: MINUTE,
        maxDriftTtlMs: 6 * HOUR,
      },
      tuning: true,
      graceMs: GRACE_MS,
    });
    const service = createService(store, model, { clock, freshness: { drift } });
    await service.loadMany([fastUser]);
    clock.advance(TTL_MS + MINUTE);
    await service.loadMany([fastUser]);
    await settle();
    const [withEstimate] = await store.readMany([userKeys('', fastUser, 'v1')]);
    expect(withEstimate?.entry?.drift).toBeDefined();
    // Past fresh TTL and grace: the entry is gone, and with it the estimate.
    clock.advance(8 * HOUR);
    await service.loadMany([fastUser]);
    const [lapsed] = await store.readMany([userKeys('', fastUser, 'v1')]);
    expect(lapsed?.entry?.drift).toBeUndefined();
    expect((lapsed?.entry?.freshUntil ?? 0) - (lapsed?.entry?.generatedAt ?? 0)).toBe(TTL_MS);
  });
});

describe('drift-bounded grace on the read path', () => {
  it("computes a fast user's list before answering once its expected divergence passes the stale limit, keeping the estimate", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const model = new BuiltinModel({ version: 'v1', catalog: catalog(), listSize: 20, drift: { clock: clock.now } });
    const policy = {
      baseTtlMs: TTL_MS,
      minTtlMs: MINUTE,
      maxTtlMs: TTL_MS,
      jitter: 0,
      activityWindowMs: 24 * HOUR,
      targetDivergence: 0.1,
      minDriftTtlMs: MINUTE,
      maxDriftTtlMs: 6 * HOUR,
    };
    const bounded = createService(store, model, {
      clock,
      freshness: {
        drift: new DriftTracker({ policy: { ...policy, staleLimit: 0.3 }, tuning: true, graceMs: GRACE_MS }),
      },
    });
    // Learn the fast user's pace: a miss, then a stale read whose background recompute compares the two lists.
    await bounded.loadMany([fastUser]);
    clock.advance(TTL_MS + MINUTE);
    const [learning] = await bounded.loadMany([fastUser]);
    expect(learning).toMatchObject({ source: 'STALE' });
    await settle();
    const [learnt] = await store.readMany([userKeys('', fastUser, 'v1')]);
    const entry = learnt?.entry;
    expect(entry?.drift).toBeDefined();
    // Grace now ends long before CACHE_GRACE_SECONDS, yet the store keeps the entry for the full grace.
    expect((entry?.staleUntil ?? 0) - (entry?.freshUntil ?? 0)).toBeLessThan(10 * MINUTE);
    clock.advance((entry?.staleUntil ?? 0) - clock.time + MINUTE);
    const [computed] = await bounded.loadMany([fastUser]);
    expect(computed).toMatchObject({ source: 'MODEL' });
    const [after] = await store.readMany([userKeys('', fastUser, 'v1')]);
    expect(after?.entry?.drift?.samples).toBe(2);
  });
});

describe('freshness inspector on the read path', () => {
  it('never delays a read: a sampled read is answered while its shadow recompute is still held in the model', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const model = new GatedModel(new BuiltinModel({ version: 'v1', catalog: catalog(), listSize: 20 }));
    const seen: number[] = [];
    const inspector = new FreshnessInspector({
      model,
      perSecond: 10,
      target: 0.1,
      telemetry: { servedDivergence: (_source, _age, divergence) => seen.push(divergence), inspectionFailed: () => {} },
      logger: silentLogger,
    });
    const drift = new DriftTracker({
      policy: {
        baseTtlMs: TTL_MS,
        minTtlMs: MINUTE,
        maxTtlMs: TTL_MS,
        jitter: 0,
        activityWindowMs: HOUR,
        targetDivergence: 0.1,
        minDriftTtlMs: MINUTE,
        maxDriftTtlMs: HOUR,
      },
      tuning: true,
      graceMs: GRACE_MS,
    });
    const service = createService(store, model, { clock, freshness: { drift, sampler: inspector } });
    await service.loadMany(['held-user']);
    model.held = true;
    const entered = model.entered();
    const [served] = await service.loadMany(['held-user']);
    expect(served).toMatchObject({ source: 'CACHE' });
    await entered;
    // The shadow recompute is stuck in the model, and the read above already has its answer.
    expect(seen).toEqual([]);
    model.release();
    await inspector.idle();
    expect(seen).toEqual([0]);
    await inspector.close();
  });
});

describe('freshness inspector through the gateway', () => {
  let gateway: InProcessGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('reports near-zero divergence for a list the model still agrees with, and a large one once the model drifted', async () => {
    const clock = new ManualClock();
    const model = new CountingModel(new BuiltinModel({ version: 'v1', drift: { clock: clock.now } }));
    gateway = await startGateway({ FRESHNESS_INSPECTOR_PER_SECOND: '50', FRESHNESS_TARGET: '0.1' }, { model });
    const divergence = async (): Promise<{ count: number; sum: number; within: number }> => {
      const samples = await scrape(gateway?.origin ?? '');
      return {
        count: sumOf(samples, 'recs_served_divergence_count'),
        sum: sumOf(samples, 'recs_served_divergence_sum'),
        within: sumOf(samples, 'recs_served_within_target_total'),
      };
    };
    const waitForCount = async (count: number): Promise<{ count: number; sum: number; within: number }> => {
      await waitFor(`${count} inspections reported`, async () => (await divergence()).count >= count, 5_000);
      return divergence();
    };

    expect((await readRecs(gateway.url, fastUser)).source).toBe('MODEL');
    const computedOnce = model.users;
    expect((await readRecs(gateway.url, fastUser)).source).toBe('CACHE');
    const agreeing = await waitForCount(1);
    expect(agreeing).toEqual({ count: 1, sum: 0, within: 1 });
    // The shadow recompute is the inspector's own: one more model computation, nothing served from it.
    expect(model.users).toBe(computedOnce + 1);

    clock.advance(6 * HOUR);
    const cached = await readRecs(gateway.url, fastUser);
    expect(cached.source).toBe('CACHE');
    const drifted = await waitForCount(2);
    expect(drifted.count).toBe(2);
    expect(drifted.sum).toBeGreaterThan(0.3);
    expect(drifted.within).toBe(1);
    const samples = await scrape(gateway.origin);
    expect(sumOf(samples, 'recs_served_divergence_count', { source: 'CACHE', age_bucket: '0-1m' })).toBe(2);
    expect(sumOf(samples, 'recs_freshness_target')).toBe(0.1);
  });

  it("never charges a client's compute budget: shadow recomputes leave the budget to the client's own misses", async () => {
    const model = new CountingModel(new BuiltinModel({ version: 'v1' }));
    gateway = await startGateway(
      { FRESHNESS_INSPECTOR_PER_SECOND: '100', RATE_LIMIT_COMPUTES_PER_MINUTE: '2' },
      { model },
    );
    await readRecs(gateway.url, 'budget-a');
    for (let read = 0; read < 5; read++) expect((await readRecs(gateway.url, 'budget-a')).source).toBe('CACHE');
    await waitFor(
      'the shadow recomputes of the five hits',
      () => model.users >= 6,
      5_000,
      () => `${model.users} users`,
    );
    expect(model.users).toBe(6);
    // The client's second miss is still within its budget of 2; its third is not.
    expect((await readRecs(gateway.url, 'budget-b')).source).toBe('MODEL');
    const refused = await postGraphQL(gateway.url, READ_QUERY, { userId: 'budget-c' });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('inspects nothing when its budget is 0 (the default under test): no shadow model calls', async () => {
    const model = new CountingModel(new BuiltinModel({ version: 'v1' }));
    gateway = await startGateway({}, { model });
    await readRecs(gateway.url, 'quiet-user');
    await readRecs(gateway.url, 'quiet-user');
    // A check that nothing happens has no event to wait on: a shadow recompute would start right after the hit, so
    // this grace lets one show if the inspector were on.
    await sleep(50);
    expect(model.users).toBe(1);
    expect(sumOf(await scrape(gateway.origin), 'recs_served_divergence_count')).toBe(0);
  });
});
