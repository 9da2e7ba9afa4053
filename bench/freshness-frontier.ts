/**
 * `npm run bench -- freshness-frontier`: the freshness-cost frontier. A simulated population on an accelerated clock
 * (population.ts), replayed under each TTL policy swept over its knob (simulate.ts): the fixed TTL, today's
 * purchase-adaptive TTL and the drift-tuned TTL. Each point: model computes per user-hour, mean and p95 divergence of
 * served lists from the model's answer at serve time (RBO distance, top 20, p = 0.9). Prints a Markdown table and the
 * target comparison on stdout, writes an SVG of the frontier.
 *
 * Settings: FRONTIER_USERS (10000), FRONTIER_HOURS (8, of which the first 2 only warm up), FRONTIER_CATALOG (10000
 * items: the real catalogue), FRONTIER_SVG (reports/freshness-frontier.svg).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { defaultTtlPolicy } from '../src/cache/ttl-policy.js';
import type { DriftTtlPolicy } from '../src/cache/ttl-policy.js';
import { MEASURE_DEPTH } from '../src/freshness/drift-tracker.js';
import { renderSvg } from '../scripts/report/svg.js';
import type { LineSeries } from '../scripts/report/svg.js';
import { buildPopulation } from './frontier/population.js';
import { simulate } from './frontier/simulate.js';
import type { SimPolicy, SimResult } from './frontier/simulate.js';
import { log } from './log.js';
import { whole } from './options.js';

const GRACE_S = 3600;
const TARGET = 0.1;
const FIXED_TTLS = [120, 300, 600, 1200, 2400];
const ADAPTIVE_BASES = [300, 600, 1200, 2400, 3600];
const DRIFT_TARGETS = [0.02, 0.05, 0.1, 0.2, 0.3];
const DRIFT_BOUNDS = { min: 60, max: Number(process.env.FRONTIER_DRIFT_MAX ?? 3600) };

function fixed(seconds: number): SimPolicy {
  const ms = seconds * 1000;
  return {
    name: 'fixed TTL',
    knob: `${seconds} s`,
    tuning: false,
    policy: {
      ...defaultTtlPolicy(seconds),
      minTtlMs: ms,
      maxTtlMs: ms,
      targetDivergence: TARGET,
      minDriftTtlMs: ms,
      maxDriftTtlMs: ms,
    },
  };
}

/** The fixed TTL without stale serving at all: what shortening grace blindly, for everyone, buys. */
function fixedNoGrace(seconds: number): SimPolicy {
  return { ...fixed(seconds), name: 'fixed TTL, no grace', graceMs: 0 };
}

function adaptive(seconds: number): SimPolicy {
  return {
    name: 'purchase-adaptive TTL (today)',
    knob: `base ${seconds} s`,
    tuning: false,
    policy: withDrift(seconds, TARGET),
  };
}

function driftTuned(target: number): SimPolicy {
  return { name: 'drift-tuned TTL', knob: `target ${target}`, tuning: true, policy: withDrift(600, target) };
}

function driftTunedBoundedGrace(target: number): SimPolicy {
  const base = driftTuned(target);
  return {
    ...base,
    name: 'drift-tuned TTL + drift-bounded grace',
    knob: `target ${target}, stale limit ${staleLimitFor(target)}`,
    policy: { ...base.policy, staleLimit: staleLimitFor(target) },
  };
}

/** The stale limit swept with the target: three times it (at most 0.9). */
function staleLimitFor(target: number): number {
  return Math.min(0.9, Number((3 * target).toFixed(2)));
}

function withDrift(baseSeconds: number, target: number): DriftTtlPolicy {
  return {
    ...defaultTtlPolicy(baseSeconds),
    targetDivergence: target,
    minDriftTtlMs: DRIFT_BOUNDS.min * 1000,
    maxDriftTtlMs: DRIFT_BOUNDS.max * 1000,
  };
}

export async function freshnessFrontierBench(): Promise<void> {
  const users = whole('FRONTIER_USERS', 10_000);
  const hours = whole('FRONTIER_HOURS', 8);
  const catalogSize = whole('FRONTIER_CATALOG', 10_000);
  const warmupHours = Math.min(2, hours - 1);
  const svgPath = process.env.FRONTIER_SVG ?? 'reports/freshness-frontier.svg';

  const started = performance.now();
  log(`frontier: building ${users} users over ${hours} simulated hours (catalogue ${catalogSize} items)`);
  const population = buildPopulation(
    {
      users,
      hours,
      catalogSize,
      medianReadsPerHour: 0.5,
      activitySigma: 1.3,
      purchaseChance: 0.02,
      depth: MEASURE_DEPTH,
      seed: 'frontier',
    },
    (done) => log(`  ${done} users`),
  );
  const reads = population.reduce((sum, user) => sum + user.reads.length, 0);
  log(`frontier: ${reads} reads, model answers in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const policies = [
    ...FIXED_TTLS.map(fixed),
    ...ADAPTIVE_BASES.map(adaptive),
    ...DRIFT_TARGETS.map(driftTuned),
    ...DRIFT_TARGETS.map(driftTunedBoundedGrace),
    ...FIXED_TTLS.map(fixedNoGrace),
  ];
  const results: SimResult[] = [];
  for (const policy of policies) {
    const result = simulate(population, policy, { graceMs: GRACE_S * 1000, warmupHours, hours, target: TARGET });
    log(
      `  ${policy.name} ${policy.knob}: ${result.computesPerUserHour.toFixed(3)} computes/user-h, mean ${result.meanDivergence.toFixed(4)}`,
    );
    results.push(result);
  }

  const lines = [
    `Population: ${users} users, ${hours} simulated hours (first ${warmupHours} h warm-up, not counted), ${reads} reads ` +
      `(${(reads / users / hours).toFixed(2)} per user-hour, log-normal activity), 2% of reads end in a purchase; ` +
      `built-in model with drift, ${catalogSize}-item catalogue; grace ${GRACE_S} s; divergence = RBO distance (top ${MEASURE_DEPTH}, p = 0.9) ` +
      `of each served list from the model's answer at that moment (0 for lists computed for the read).`,
    '',
    '| policy | knob | computes per user-hour | mean divergence | p95 divergence | within 0.1 | served from cache | divergence from STALE lists |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.policy.name} | ${r.policy.knob} | ${r.computesPerUserHour.toFixed(3)} | ${r.meanDivergence.toFixed(4)} | ${r.p95Divergence.toFixed(3)} | ` +
        `${(r.withinTarget * 100).toFixed(1)}% | ${(r.servedFromCache * 100).toFixed(1)}% | ${(r.staleShareOfDivergence * 100).toFixed(0)}% |`,
    ),
    '',
    ...targetComparison(results),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  await mkdir(dirname(svgPath), { recursive: true });
  await writeFile(svgPath, frontierSvg(results, users, hours, reads));
  log(`frontier: wrote ${svgPath} in ${((performance.now() - started) / 1000).toFixed(1)} s overall`);
}

/** The target: the fixed 600 s TTL's mean divergence for 30% fewer computes, or 30% less divergence for its computes. */
function targetComparison(results: readonly SimResult[]): string[] {
  const reference = results.find((r) => r.policy.name === 'fixed TTL' && r.policy.knob === '600 s');
  return [
    ...comparisonFor(results, reference, 'drift-tuned TTL'),
    '',
    ...comparisonFor(results, reference, 'drift-tuned TTL + drift-bounded grace'),
  ];
}

function comparisonFor(results: readonly SimResult[], reference: SimResult | undefined, name: string): string[] {
  const tuned = results.filter((r) => r.policy.name === name);
  if (reference === undefined || tuned.length < 2) return [];
  const byComputes = [...tuned].sort((a, b) => a.computesPerUserHour - b.computesPerUserHour);
  const byDivergence = [...tuned].sort((a, b) => a.meanDivergence - b.meanDivergence);
  const computesAtSameDivergence = interpolate(
    byDivergence.map((r) => [r.meanDivergence, r.computesPerUserHour]),
    reference.meanDivergence,
  );
  const divergenceAtSameComputes = interpolate(
    byComputes.map((r) => [r.computesPerUserHour, r.meanDivergence]),
    reference.computesPerUserHour,
  );
  const fewer =
    computesAtSameDivergence === undefined ? undefined : 1 - computesAtSameDivergence / reference.computesPerUserHour;
  const lower =
    divergenceAtSameComputes === undefined ? undefined : 1 - divergenceAtSameComputes / reference.meanDivergence;
  const percent = (value: number | undefined): string =>
    value === undefined ? 'outside the swept range' : `${(value * 100).toFixed(1)}%`;
  const met = (fewer ?? 0) >= 0.3 || (lower ?? 0) >= 0.3;
  return [
    `${name} against the fixed 600 s TTL (${reference.computesPerUserHour.toFixed(3)} computes per user-hour, mean divergence ${reference.meanDivergence.toFixed(4)}):`,
    `At the same mean divergence: ${computesAtSameDivergence?.toFixed(3) ?? '-'} computes per user-hour (${percent(fewer)} fewer).`,
    `At the same compute cost: mean divergence ${divergenceAtSameComputes?.toFixed(4) ?? '-'} (${percent(lower)} lower).`,
    `Target (>= 30% fewer computes or >= 30% lower divergence): ${met ? 'met' : 'not met'}.`,
  ];
}

/** Linear interpolation of y at x over points sorted by x; undefined outside them. */
function interpolate(points: ReadonlyArray<readonly [number, number]>, x: number): number | undefined {
  for (let index = 1; index < points.length; index++) {
    const [x0, y0] = points[index - 1] as readonly [number, number];
    const [x1, y1] = points[index] as readonly [number, number];
    if (x >= x0 && x <= x1) return x1 === x0 ? y0 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
  }
  return undefined;
}

const COLORS: Record<string, string> = {
  'fixed TTL': '#4c78a8',
  'purchase-adaptive TTL (today)': '#f58518',
  'drift-tuned TTL': '#54a24b',
  'drift-tuned TTL + drift-bounded grace': '#e45756',
  'fixed TTL, no grace': '#9d755d',
};

/** Short names: the legend is 200 px wide. */
const LEGEND: Record<string, string> = {
  'purchase-adaptive TTL (today)': 'purchase-adaptive',
  'drift-tuned TTL + drift-bounded grace': 'drift + bounded grace',
  'fixed TTL, no grace': 'fixed, no grace',
};

function frontierSvg(results: readonly SimResult[], users: number, hours: number, reads: number): string {
  const names = [...new Set(results.map((r) => r.policy.name))];
  const series = (pick: (r: SimResult) => number): LineSeries[] =>
    names.map((name) => {
      const points = results
        .filter((r) => r.policy.name === name)
        .sort((a, b) => a.computesPerUserHour - b.computesPerUserHour);
      return {
        label: LEGEND[name] ?? name,
        color: COLORS[name] ?? '#333',
        markers: true,
        times: points.map((r) => r.computesPerUserHour),
        values: points.map((r) => pick(r) * 100),
      };
    });
  const maxX = Math.max(...results.map((r) => r.computesPerUserHour));
  const minX = Math.min(...results.map((r) => r.computesPerUserHour));
  const reference = results.find((r) => r.policy.name === 'fixed TTL' && r.policy.knob === '600 s');
  return renderSvg({
    title: 'Freshness-cost frontier: served divergence vs model computes',
    subtitle: `${users} simulated users, ${hours} h accelerated clock, ${reads} reads; x: model computes per user-hour; lower-left is better.`,
    times: [Math.floor(minX * 10) / 10, Math.ceil(maxX * 10) / 10],
    xUnit: '/user-h',
    panels: [
      {
        kind: 'lines',
        title: 'Mean divergence of served lists (RBO distance x 100)',
        unit: '',
        series: series((r) => r.meanDivergence),
      },
      {
        kind: 'lines',
        title: 'p95 divergence of served lists (RBO distance x 100)',
        unit: '',
        series: series((r) => r.p95Divergence),
      },
    ],
    footer:
      reference === undefined
        ? undefined
        : `Reference: fixed 600 s TTL at ${reference.computesPerUserHour.toFixed(3)} computes per user-hour, mean ${(reference.meanDivergence * 100).toFixed(2)}.`,
  });
}
