/**
 * One load run: autocannon (programmatic API) in this process against a server in another.
 *
 * Warm-up and measurement are one continuous run: only responses that arrive inside the window after the warm-up
 * count, so the window opens with every connection already busy and closes before any stops. (A separate run would
 * open the window empty, and a server that interleaves 50 slow requests answers none of them for a whole latency
 * period, e.g. 0.5 s of a 5 s window for a 50-user batch.) Latencies come from autocannon's per-response event (sub-millisecond floats) rather
 * than its histogram, which keeps whole milliseconds only.
 */
import { inspect } from 'node:util';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { BodySource } from './queries.js';
import { Samples, percentileOfSorted } from './stats.js';

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /**
   * Requests per second across all connections (autocannon `overallRate`), for latency comparisons: the same arrival
   * rate in every run, so a p99 measured idle and one measured beside other work describe the same traffic (a closed
   * loop would simply send fewer requests when the server slows down). Unset: a closed loop, as fast as answers come.
   */
  readonly rate?: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly body: BodySource;
  readonly headers: Readonly<Record<string, string>>;
  /** Called when the measured window opens (after the warm-up) and closes, both under load: server snapshots. */
  readonly onWindowOpen?: () => void;
  readonly onWindowClose?: () => void;
}

export interface LoadResult {
  readonly connections: number;
  /** 2xx responses inside the measured window. */
  readonly responses: number;
  readonly windowSeconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** Over the whole run, warm-up included. */
  readonly non2xx: number;
  /** Connection errors, timeouts included, over the whole run. */
  readonly errors: number;
  readonly timeouts: number;
  readonly bytesPerResponse: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples();
  let bytes = 0;
  let measuring = false;
  let windowStart = 0;
  let windowEnd = 0;
  let windowOpened = false;
  const timers: NodeJS.Timeout[] = [];

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance: autocannon.Instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        connections: options.connections,
        ...(options.rate === undefined ? {} : { overallRate: options.rate }),
        // A loaded 2-core machine can take seconds per batch; only a real hang should count as a timeout.
        timeout: 30,
        // The window closes (and the run is stopped) by our own timer; this is only a backstop.
        duration: options.warmupSeconds + options.seconds + 30,
        headers: { ...options.headers },
        body: options.body(),
        requests: [
          {
            setupRequest(request) {
              request.body = options.body();
              return request;
            },
          },
        ],
      },
      (error: unknown, done: autocannon.Result) => {
        for (const timer of timers) clearTimeout(timer);
        if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(inspect(error)));
        else resolve(done);
      },
    );
    const closeWindow = (): void => {
      measuring = false;
      windowEnd = performance.now();
      options.onWindowClose?.();
      instance.stop();
    };
    const openWindow = (): void => {
      measuring = true;
      windowOpened = true;
      windowStart = performance.now();
      options.onWindowOpen?.();
      timers.push(setTimeout(closeWindow, options.seconds * 1000));
    };
    instance.on('start', () => {
      timers.push(setTimeout(openWindow, options.warmupSeconds * 1000));
    });
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      if (!measuring || statusCode < 200 || statusCode >= 300) return;
      latencies.push(responseTime);
      bytes += resBytes;
    });
  });

  if (!windowOpened || windowEnd === 0)
    throw new Error(`load run against ${options.url} ended before its measured window closed`);
  const sorted = latencies.sorted();
  let sum = 0;
  for (const value of sorted) sum += value;
  const windowSeconds = (windowEnd - windowStart) / 1000;
  return {
    connections: options.connections,
    responses: sorted.length,
    windowSeconds,
    requestsPerSecond: sorted.length / windowSeconds,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p99Ms: percentileOfSorted(sorted, 99),
    meanMs: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    maxMs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerResponse: sorted.length === 0 ? 0 : bytes / sorted.length,
  };
}
