import type { ReportResult } from './run.js';
import { renderSvg } from './svg.js';
import type { Chart, StackSeries } from './svg.js';

const VERSION_COLORS = ['#4c78a8', '#f58518', '#72b7b2', '#b279a2', '#9d755d'];
const SOURCE_COLORS: Record<string, string> = { CACHE: '#54a24b', STALE: '#e45756', MODEL: '#b279a2' };

/** The report's picture: served age percentiles against the TTL, sources served, and the model version mix. */
export function reportChart(result: ReportResult): Chart {
  const { options, points } = result;
  const times = points.map((point) => point.t);
  const versions = [...new Set(points.flatMap((point) => Object.keys(point.versions)))].sort();
  const sources = ['CACHE', 'STALE', 'MODEL'];
  const shares = (
    pick: (point: ReportResult['points'][number]) => Readonly<Record<string, number>>,
    key: string,
  ): number[] =>
    points.map((point) => {
      const counts = pick(point);
      const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
      return total === 0 ? 0 : (counts[key] ?? 0) / total;
    });
  return {
    title: 'recs-gateway freshness report',
    subtitle:
      `${options.seconds} s load, ${options.users} users, ${result.requests} requests (${result.purchases} purchases, ${result.failures} failed); ` +
      `TTL ${options.ttlSeconds} s, grace ${options.graceSeconds} s; each point covers the last ${options.window} s of /metrics.`,
    times,
    band: { from: options.rolloutFrom, to: options.rolloutTo, label: 'rollout v1 → v2' },
    panels: [
      {
        kind: 'lines',
        title: 'Age of served lists (histogram_quantile over recs_served_age_seconds)',
        unit: 's',
        series: [
          { label: 'p50', color: '#4c78a8', values: points.map((point) => point.p50) },
          { label: 'p95', color: '#f58518', values: points.map((point) => point.p95) },
          { label: 'p99', color: '#e45756', values: points.map((point) => point.p99) },
          {
            label: 'p99 seen by clients',
            color: '#333333',
            values: points.map((point) => point.clientP99),
            dash: '2 3',
            width: 1.6,
          },
          {
            label: `TTL (${options.ttlSeconds} s)`,
            color: '#54a24b',
            values: points.map(() => options.ttlSeconds),
            dash: '8 5',
            width: 1.6,
          },
          {
            label: `TTL + grace (${options.ttlSeconds + options.graceSeconds} s)`,
            color: '#999999',
            values: points.map(() => options.ttlSeconds + options.graceSeconds),
            dash: '8 5',
            width: 1.6,
          },
        ],
      },
      {
        kind: 'stack',
        title: 'Lists served by source (share of recs_served_lists_total)',
        series: sources.map((source): StackSeries => ({
          label: source,
          color: SOURCE_COLORS[source] ?? '#999999',
          values: shares((point) => point.sources, source),
        })),
      },
      {
        kind: 'stack',
        title: 'Version mix (share of recs_served_lists_total by model_version)',
        series: versions.map((version, index): StackSeries => ({
          label: version,
          color: VERSION_COLORS[index % VERSION_COLORS.length] ?? '#999999',
          values: shares((point) => point.versions, version),
        })),
      },
    ],
    footer:
      'Served age buckets are coarse (bounds at TTL/4, TTL/2, TTL, 2·TTL): between bounds the percentiles are interpolated, as Prometheus does.',
  };
}

export function reportSvg(result: ReportResult): string {
  return renderSvg(reportChart(result));
}
