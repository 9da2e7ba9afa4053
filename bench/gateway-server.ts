/**
 * Bench child: the real gateway (createApp with no parts swapped, so its telemetry is the production Prometheus
 * one), configured from the environment like `src/main.ts`. The counters the bench uses to check that a "hit" run
 * really was served from the cache are read back from the gateway's own metrics registry, off the measured path.
 *
 *   node --import tsx bench/gateway-server.ts     (REDIS_URL selects the Redis store, as in production)
 */
import { createApp } from '../src/app.js';
import type { App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { METRIC_NAMES } from '../src/telemetry/metrics.js';
import { serveAsBenchChild } from './child.js';
import { emptyCounters } from './protocol.js';
import type { TelemetryCounters } from './protocol.js';

interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly metricName?: string;
}

async function samples(app: App, name: string): Promise<readonly Sample[]> {
  const metric = app.telemetry.registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values;
}

function sum(values: readonly Sample[], keep: (sample: Sample) => boolean = () => true): number {
  return values.filter(keep).reduce((total, sample) => total + sample.value, 0);
}

/** The telemetry counters as the gateway's metrics registry has them now (undefined if the metrics are missing). */
async function readCounters(app: App): Promise<TelemetryCounters | undefined> {
  const [reads, served, calls, duration, users, storeErrors, refused] = await Promise.all([
    samples(app, METRIC_NAMES.cacheReads),
    samples(app, METRIC_NAMES.servedLists),
    samples(app, METRIC_NAMES.modelCalls),
    samples(app, METRIC_NAMES.modelDuration),
    samples(app, METRIC_NAMES.modelUsers),
    samples(app, METRIC_NAMES.storeErrors),
    samples(app, METRIC_NAMES.writesRefused),
  ]);
  if (app.telemetry.registry.getSingleMetric(METRIC_NAMES.servedLists) === undefined) return undefined;
  const counters = emptyCounters();
  counters.cacheHit = sum(reads, (sample) => sample.labels.result === 'hit');
  counters.cacheStale = sum(reads, (sample) => sample.labels.result === 'stale');
  counters.cacheMiss = sum(reads, (sample) => sample.labels.result === 'miss');
  counters.servedCache = sum(served, (sample) => sample.labels.source === 'CACHE');
  counters.servedModel = sum(served, (sample) => sample.labels.source === 'MODEL');
  counters.servedStale = sum(served, (sample) => sample.labels.source === 'STALE');
  counters.modelCalls = sum(calls);
  counters.modelUsers = sum(users);
  counters.modelMs = 1000 * sum(duration, (sample) => sample.metricName === `${METRIC_NAMES.modelDuration}_sum`);
  counters.storeErrors = sum(storeErrors);
  counters.writesRefused = sum(refused);
  return counters;
}

let app: App | undefined;
await serveAsBenchChild(
  async () => {
    // The port and interface are the bench's choice; everything else comes from the environment it passes.
    const config = loadConfig({ LOG_LEVEL: 'silent', ...process.env, PORT: '0', HOST: '127.0.0.1' });
    const started = await createApp(config);
    app = started;
    return { url: await started.listen() };
  },
  async () => (app === undefined ? undefined : readCounters(app)),
);
