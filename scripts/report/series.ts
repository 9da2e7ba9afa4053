import { sumOf } from './exposition.js';
import type { Sample } from './exposition.js';

/** Everything scraped at one moment, from every replica (cumulative counters: concatenated, they sum). */
export interface Snapshot {
  /** Seconds since the run started. */
  readonly t: number;
  readonly samples: readonly Sample[];
}

/** What was served during one window ending at `t`. */
export interface WindowPoint {
  readonly t: number;
  /** Lists served in the window. */
  readonly served: number;
  /** Served age percentiles as histogram_quantile() computes them from the window's bucket increases. */
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  /** Lists served in the window by model version and by source. */
  readonly versions: Readonly<Record<string, number>>;
  readonly sources: Readonly<Record<string, number>>;
}

export interface Bucket {
  readonly le: number;
  readonly count: number;
}

const AGE = 'recs_served_age_seconds';
const SERVED = 'recs_served_lists_total';

/** Cumulative buckets of a histogram, summed over every label set (sources, replicas), sorted by bound. */
export function bucketsOf(samples: readonly Sample[], histogram: string): Bucket[] {
  const byBound = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${histogram}_bucket`) continue;
    const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    byBound.set(le, (byBound.get(le) ?? 0) + sample.value);
  }
  return [...byBound].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/**
 * PromQL's `histogram_quantile` over cumulative buckets: find the bucket holding rank q·total and interpolate
 * linearly inside it; a rank in the +Inf bucket answers the highest finite bound. Undefined without observations.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      return inBucket <= 0 ? bucket.le : lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/** Increase of every cumulative bucket between two snapshots (a replica started meanwhile counts from zero). */
function bucketIncrease(from: readonly Bucket[], to: readonly Bucket[]): Bucket[] {
  const before = new Map(from.map((bucket) => [bucket.le, bucket.count]));
  return to.map((bucket) => ({ le: bucket.le, count: Math.max(0, bucket.count - (before.get(bucket.le) ?? 0)) }));
}

function increaseBy(
  from: readonly Sample[],
  to: readonly Sample[],
  metric: string,
  label: string,
): Record<string, number> {
  const values = new Set(to.filter((sample) => sample.name === metric).map((sample) => sample.labels[label] ?? ''));
  const increase: Record<string, number> = {};
  for (const value of values) {
    const delta = sumOf(to, metric, { [label]: value }) - sumOf(from, metric, { [label]: value });
    if (delta > 0) increase[value] = delta;
  }
  return increase;
}

/**
 * One point per snapshot from the `window`-th on: what was served between snapshot i−window and i, the way
 * `rate(...[window])` sees it. A window of a few scrapes smooths one-second noise without hiding a change.
 */
export function windowsOf(snapshots: readonly Snapshot[], window: number): WindowPoint[] {
  const points: WindowPoint[] = [];
  for (let index = window; index < snapshots.length; index++) {
    const from = snapshots[index - window] as Snapshot;
    const to = snapshots[index] as Snapshot;
    const buckets = bucketIncrease(bucketsOf(from.samples, AGE), bucketsOf(to.samples, AGE));
    const versions = increaseBy(from.samples, to.samples, SERVED, 'model_version');
    points.push({
      t: to.t,
      served: Object.values(versions).reduce((sum, count) => sum + count, 0),
      p50: histogramQuantile(0.5, buckets),
      p95: histogramQuantile(0.95, buckets),
      p99: histogramQuantile(0.99, buckets),
      versions,
      sources: increaseBy(from.samples, to.samples, SERVED, 'source'),
    });
  }
  return points;
}
