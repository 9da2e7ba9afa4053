import { declaredFamilies, parseSamples } from '../../scripts/report/exposition.js';
import type { CapturedLogger, LogLine } from './log-capture.js';

/**
 * What two gateways answering the same request must have done alike beyond the response itself: the counters and
 * histogram counts `/metrics` moved by (not durations: sums and buckets of time depend on the clock), and the request
 * log line (without its timings and the request id, which each gateway makes up).
 */

/**
 * Every counter sample and every histogram's `_count` sample of the gateway's own families (`recs_`: the process and
 * runtime families count CPU time and garbage collections, not requests), by name and labels.
 */
export async function countedSamples(origin: string): Promise<Map<string, number>> {
  const response = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  const families = declaredFamilies(text);
  const counted = new Map<string, number>();
  for (const sample of parseSamples(text)) {
    const histogram = sample.name.endsWith('_count') && families.get(sample.name.slice(0, -6)) === 'histogram';
    if (!sample.name.startsWith('recs_') || (families.get(sample.name) !== 'counter' && !histogram)) continue;
    const labels = Object.entries(sample.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(',');
    counted.set(`${sample.name}{${labels}}`, sample.value);
  }
  return counted;
}

/** The samples that moved, by how much, leaving out the families named in `ignored`. */
export function movedBy(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  ignored: readonly string[] = [],
): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [key, value] of after) {
    if (ignored.some((name) => key.startsWith(`${name}{`))) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) moved[key] = delta;
  }
  return Object.fromEntries(Object.entries(moved).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Fields of a request line that depend on the clock or the process, not on what the request did. */
const UNCOMPARABLE = new Set(['time', 'durationMs', 'pid', 'hostname', 'reqId']);

/**
 * The request line written for the request whose response carried `requestId`, among lines not in `earlier`
 * (a client may send the same id twice), with what is not comparable left out.
 */
export async function requestLineOf(
  logs: CapturedLogger,
  earlier: ReadonlySet<LogLine>,
  requestId: string,
): Promise<Record<string, unknown>> {
  const line = await logs.next(
    (candidate) => !earlier.has(candidate) && candidate.msg === 'request' && candidate.reqId === requestId,
  );
  return Object.fromEntries(Object.entries(line).filter(([name]) => !UNCOMPARABLE.has(name)));
}
