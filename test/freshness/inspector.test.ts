/**
 * The inspector's contract: it spends at most its budget of shadow recomputes, none at 0, nothing before the read
 * that offered a list has returned (offer is synchronous and calls no model), and a failing model costs a counter.
 */
import { describe, expect, it } from 'vitest';
import { FreshnessInspector } from '../../src/freshness/inspector.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import { silentLogger } from '../../src/telemetry/events.js';
import { CountingModel, FlakyModel } from '../support/models.js';
import { makeEntry } from '../cache/fixtures.js';
import { catalog } from '../recs/service-fixture.js';

function recorder() {
  const seen: Array<{ source: string; ageSeconds: number; divergence: number; within: boolean }> = [];
  let failed = 0;
  return {
    seen,
    failed: () => failed,
    telemetry: {
      servedDivergence(source: string, ageSeconds: number, divergence: number, within: boolean) {
        seen.push({ source, ageSeconds, divergence, within });
      },
      inspectionFailed(count: number) {
        failed += count;
      },
    },
  };
}

const T = 1_764_000_000_000;

describe('FreshnessInspector', () => {
  it('spends at most its budget per second, and refills with time', async () => {
    const model = new CountingModel(new BuiltinModel({ version: 'v1', catalog: catalog() }));
    const report = recorder();
    const inspector = new FreshnessInspector({
      model,
      perSecond: 5,
      target: 0.1,
      telemetry: report.telemetry,
      logger: silentLogger,
    });
    for (let read = 0; read < 100; read++) inspector.offer(`u${read}`, makeEntry({ generatedAt: T }), 'CACHE', T + 10);
    // offer only queues: the model has not been called yet, the read that offered has its answer already.
    expect(model.calls).toBe(0);
    await inspector.idle();
    expect(model.users).toBe(5);
    for (let read = 0; read < 100; read++)
      inspector.offer(`v${read}`, makeEntry({ generatedAt: T }), 'STALE', T + 10 + 400);
    await inspector.idle();
    expect(model.users).toBe(7);
    expect(report.seen).toHaveLength(7);
    expect(report.seen[6]).toMatchObject({ source: 'STALE', ageSeconds: 0.41 });
    await inspector.close();
  });

  it('does nothing at a budget of 0', async () => {
    const model = new CountingModel(new BuiltinModel({ version: 'v1', catalog: catalog() }));
    const inspector = new FreshnessInspector({
      model,
      perSecond: 0,
      target: 0.1,
      telemetry: recorder().telemetry,
      logger: silentLogger,
    });
    expect(inspector.enabled).toBe(false);
    for (let read = 0; read < 10; read++) inspector.offer('u1', makeEntry(), 'CACHE', T + read * 1000);
    await inspector.idle();
    expect(model.calls).toBe(0);
  });

  it('compares with the model: the list it would serve now is within target, a foreign one is not', async () => {
    const model = new BuiltinModel({ version: 'v1', catalog: catalog() });
    const [now] = await model.scoreAndRank(['alice'], 20);
    if (now === undefined || now instanceof Error) throw new Error('no list');
    const report = recorder();
    const inspector = new FreshnessInspector({
      model,
      perSecond: 10,
      target: 0.1,
      telemetry: report.telemetry,
      logger: silentLogger,
    });
    inspector.offer('alice', makeEntry({ items: now.items }), 'CACHE', T);
    inspector.offer('alice', makeEntry({ label: 'other' }), 'CACHE', T);
    await inspector.idle();
    expect(report.seen.map((sample) => [sample.divergence, sample.within])).toEqual([
      [0, true],
      [1, false],
    ]);
  });

  it('counts shadow recomputes the model failed, and reports nothing for them', async () => {
    const flaky = new FlakyModel(new BuiltinModel({ version: 'v1', catalog: catalog() }));
    flaky.failing = true;
    const report = recorder();
    const inspector = new FreshnessInspector({
      model: flaky,
      perSecond: 10,
      target: 0.1,
      telemetry: report.telemetry,
      logger: silentLogger,
    });
    inspector.offer('u1', makeEntry(), 'CACHE', T);
    inspector.offer('u2', makeEntry(), 'CACHE', T);
    await inspector.idle();
    expect(report.failed()).toBe(2);
    expect(report.seen).toEqual([]);
  });

  it('rejects a negative or non-finite budget', () => {
    const model = new BuiltinModel({ version: 'v1', catalog: catalog() });
    for (const perSecond of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(
        () =>
          new FreshnessInspector({
            model,
            perSecond,
            target: 0.1,
            telemetry: recorder().telemetry,
            logger: silentLogger,
          }),
      ).toThrow(RangeError);
    }
  });
});
