/**
 * A load run at a fixed offered rate (autocannon `overallRate`), for latency comparisons: the same arrival rate in
 * every run, so a p99 measured idle and one measured beside other work describe the same traffic (a closed loop
 * would simply send fewer requests when the server slows down). Latencies come from autocannon's per-response
 * event (sub-millisecond floats); the first `warmupSeconds` are not counted.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { BodySource } from './queries.js';
import { Samples, percentileOfSorted } from './stats.js';

export interface OpenLoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Requests per second across all connections; undefined runs a closed loop (as fast as answers come back). */
  readonly rate: number | undefined;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly body: BodySource;
  readonly headers: Readonly<Record<string, string>>;
  /** Called when the measured window opens and closes, both under load (e.g. for server CPU snapshots). */
  readonly onWindowOpen?: () => void;
  readonly onWindowClose?: () => void;
}

export interface OpenLoadResult {
  readonly responses: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly errors: number;
}

export async function runOpenLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const latencies = new Samples();
  let measuring = false;
  let windowStart = 0;
  let windowEnd = 0;
  const timers: NodeJS.Timeout[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        connections: options.connections,
        ...(options.rate === undefined ? {} : { overallRate: options.rate }),
        timeout: 30,
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
        timers.forEach(clearTimeout);
        if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(done);
      },
    );
    instance.on('start', () => {
      timers.push(
        setTimeout(() => {
          measuring = true;
          windowStart = performance.now();
          options.onWindowOpen?.();
          timers.push(
            setTimeout(() => {
              measuring = false;
              windowEnd = performance.now();
              options.onWindowClose?.();
              instance.stop();
            }, options.seconds * 1000),
          );
        }, options.warmupSeconds * 1000),
      );
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (measuring && statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  const sorted = latencies.sorted();
  const windowSeconds = Math.max((windowEnd - windowStart) / 1000, 1e-9);
  return {
    responses: sorted.length,
    requestsPerSecond: sorted.length / windowSeconds,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
    maxMs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
