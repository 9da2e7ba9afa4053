/**
 * The freshness report (`npm run report`): its histogram maths against PromQL's, and a short real run over HTTP
 * whose chart shows the rollout it drove.
 */
import { describe, expect, it } from 'vitest';
import { histogramQuantile, windowsOf } from '../../scripts/report/series.js';
import type { Snapshot } from '../../scripts/report/series.js';
import { parseSamples } from '../../scripts/report/exposition.js';
import { reportSvg } from '../../scripts/report/chart.js';
import { niceTicks } from '../../scripts/report/svg.js';
import { DEFAULT_REPORT_OPTIONS, runFreshnessReport } from '../../scripts/report/run.js';

describe('histogramQuantile (as PromQL computes it)', () => {
  const buckets = [
    { le: 1, count: 10 },
    { le: 5, count: 90 },
    { le: 10, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket holding the rank', () => {
    expect(histogramQuantile(0.05, buckets)).toBeCloseTo(0.5);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(1 + (4 * 40) / 80);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(7.5);
  });

  it('answers the highest finite bound for a rank in +Inf, and nothing without observations', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeUndefined();
  });
});

describe('windowsOf', () => {
  it('works on increases between scrapes, summed over replicas, by version and source', () => {
    const exposition = (v1: number, v2: number, fast: number, slow: number): string =>
      [
        `recs_served_lists_total{model_version="v1",source="CACHE"} ${v1}`,
        `recs_served_lists_total{model_version="v2",source="MODEL"} ${v2}`,
        `recs_served_age_seconds_bucket{le="1",source="CACHE"} ${fast}`,
        `recs_served_age_seconds_bucket{le="10",source="CACHE"} ${fast + slow}`,
        `recs_served_age_seconds_bucket{le="+Inf",source="CACHE"} ${fast + slow}`,
      ].join('\n');
    const snapshots: Snapshot[] = [
      { t: 0, samples: parseSamples(exposition(100, 0, 100, 0)) },
      // Two replicas at t=1: their samples concatenate and sum.
      { t: 1, samples: [...parseSamples(exposition(110, 0, 110, 0)), ...parseSamples(exposition(0, 30, 0, 30))] },
    ];
    const [point] = windowsOf(snapshots, 1);
    expect(point).toMatchObject({ t: 1, served: 40, versions: { v1: 10, v2: 30 }, sources: { CACHE: 10, MODEL: 30 } });
    expect(point?.p50).toBeCloseTo(1 + (9 * 10) / 30);
  });

  it('nice ticks are round and cover the maximum', () => {
    expect(niceTicks(9.8)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.37)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
  });
});

describe('a short real run', () => {
  it('drives two replicas over HTTP, sees the version roll from v1 to v2, and draws it', async () => {
    const result = await runFreshnessReport({
      ...DEFAULT_REPORT_OPTIONS,
      seconds: 9,
      users: 60,
      clients: 6,
      // Margins around the rollout on both sides, so the first and last windows are all v1 and all v2 even when a
      // busy machine delays scrapes or requests by a second or two.
      rolloutFrom: 3,
      rolloutTo: 4,
      window: 2,
    });
    const described = JSON.stringify(result.points.map((point) => [point.t, point.versions, point.served]));
    expect(result.failures).toBe(0);
    expect(result.requests).toBeGreaterThan(30);
    expect(result.points.length, described).toBeGreaterThanOrEqual(6);

    // On a busy machine a window can pass with nothing served yet; the ones that served show the rollout.
    const serving = result.points.filter((point) => point.served > 0);
    expect(serving.length, described).toBeGreaterThanOrEqual(4);
    expect(Object.keys(serving[0]?.versions ?? {}), described).toEqual(['v1']);
    expect(Object.keys(serving.at(-1)?.versions ?? {}), described).toEqual(['v2']);
    for (const point of serving) {
      expect(point.p50).toBeGreaterThanOrEqual(0);
      // Nothing is served past TTL + grace (5 s + 5 s, +10 % TTL jitter): the clients saw as much, and the buckets
      // put it at most at 10 s.
      expect(point.clientP99).toBeLessThanOrEqual(10.5);
      expect(point.p99).toBeLessThanOrEqual(10);
    }

    const svg = reportSvg(result);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const label of ['p50', 'p95', 'p99', 'TTL (5 s)', 'v1', 'v2', 'CACHE', 'STALE', 'MODEL', 'rollout v1 → v2']) {
      expect(svg).toContain(`>${label}</text>`);
    }
    // Six lines in the age panel, three source areas and two version areas; every coordinate a number.
    expect(svg.match(/<path d="M/g)?.length).toBe(6);
    expect(svg.match(/<polygon /g)?.length).toBe(5);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
});
