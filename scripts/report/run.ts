import { createApp } from '../../src/app.js';
import type { App } from '../../src/app.js';
import { DEFAULT_MEMORY_STORE_BYTES, MemoryStore } from '../../src/cache/memory-store.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { parseSamples } from './exposition.js';
import { windowsOf } from './series.js';
import type { Snapshot, WindowPoint } from './series.js';

export interface ReportOptions {
  /** Length of the load run. */
  readonly seconds: number;
  /** Distinct users; reads are skewed towards low user numbers, as real traffic is towards active users. */
  readonly users: number;
  /** Concurrent clients, each pausing `pauseMs` between requests. */
  readonly clients: number;
  readonly pauseMs: number;
  /** Share of requests that are purchases (each invalidates that user's list). */
  readonly purchaseShare: number;
  readonly ttlSeconds: number;
  readonly graceSeconds: number;
  /** The v1 → v2 rollout: traffic moves to the v2 replica linearly between these two times (seconds). */
  readonly rolloutFrom: number;
  readonly rolloutTo: number;
  /** Scrapes per percentile window: 3 means each point covers the last 3 s, like `rate(...[3s])`. */
  readonly window: number;
}

export const DEFAULT_REPORT_OPTIONS: ReportOptions = {
  seconds: 15,
  users: 300,
  clients: 12,
  pauseMs: 25,
  purchaseShare: 0.04,
  ttlSeconds: 5,
  graceSeconds: 5,
  rolloutFrom: 6.5,
  rolloutTo: 9.5,
  window: 3,
};

/** One read as the client saw it. */
interface Observation {
  readonly t: number;
  readonly ageSeconds: number;
}

export interface ReportPoint extends WindowPoint {
  /** The exact p99 of the ages the clients received in the same window (from response bodies, not buckets). */
  readonly clientP99: number | undefined;
}

export interface ReportResult {
  readonly options: ReportOptions;
  readonly points: readonly ReportPoint[];
  readonly requests: number;
  readonly purchases: number;
  readonly failures: number;
}

const READ =
  'query ReportRead($userId: ID!) { recommendations(userId: $userId, first: 3) { modelVersion ageSeconds source items { item { id } } } }';
const BUY = 'mutation ReportBuy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { invalidated } }';

/**
 * The freshness report's run: two gateway replicas in this process over one memory store, v1 and v2 of the
 * built-in model, real HTTP between the load clients and the replicas, and `/metrics` of both scraped every second.
 * Traffic starts on v1 and moves to v2 during the rollout window, as a rolling deploy behind a load balancer does.
 */
export async function runFreshnessReport(
  options: ReportOptions,
  progress: (line: string) => void = () => {},
): Promise<ReportResult> {
  const store = new MemoryStore(DEFAULT_MEMORY_STORE_BYTES);
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    CACHE_TTL_SECONDS: String(options.ttlSeconds),
    CACHE_GRACE_SECONDS: String(options.graceSeconds),
    // One load generator is one client to the rate limiter: lift its budgets, this run is about freshness.
    RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
    RATE_LIMIT_PURCHASES_PER_MINUTE: '1000000',
  };
  const logger = createLogger('silent');
  const replicas: App[] = [];
  try {
    for (const version of ['v1', 'v2']) {
      replicas.push(await createApp(loadConfig({ ...env, MODEL_VERSION: version }), { store, logger }));
    }
    const [v1, v2] = await Promise.all(replicas.map(async (app) => app.listen()));
    // One read on each replica before the clock starts: the first model call pays for JIT compilation, which is not
    // what the report is about. The first scrape comes after, so these reads are not in it.
    for (const url of [v1, v2]) await post(url as string, READ, { userId: 'report-warm-up' });
    progress(`replicas up: v1 ${v1}, v2 ${v2}; ${options.seconds} s of load from ${options.users} users`);

    const started = Date.now();
    const elapsed = (): number => (Date.now() - started) / 1000;
    const origins = [v1, v2].map((url) => new URL(url as string).origin);
    const snapshots: Snapshot[] = [];
    const scrape = async (): Promise<void> => {
      const t = elapsed();
      const bodies = await Promise.all(origins.map(async (origin) => (await fetch(`${origin}/metrics`)).text()));
      snapshots.push({ t: Math.round(t * 10) / 10, samples: bodies.flatMap(parseSamples) });
    };
    await scrape();

    const observations: Observation[] = [];
    const lastItem = new Map<string, string>();
    let requests = 0;
    let purchases = 0;
    let failures = 0;
    const until = started + options.seconds * 1000;
    const client = async (seed: number): Promise<void> => {
      let order = 0;
      while (Date.now() < until) {
        const t = elapsed();
        const shareOnV2 = Math.min(
          1,
          Math.max(0, (t - options.rolloutFrom) / (options.rolloutTo - options.rolloutFrom)),
        );
        const url = (Math.random() < shareOnV2 ? v2 : v1) as string;
        const userId = `user-${Math.floor(options.users * Math.random() ** 1.6)}`;
        const item = lastItem.get(userId);
        requests += 1;
        try {
          if (item !== undefined && Math.random() < options.purchaseShare) {
            purchases += 1;
            order += 1;
            const body = await post(url, BUY, { input: { userId, itemId: item, orderId: `report-${seed}-${order}` } });
            if (body.errors !== undefined) failures += 1;
            lastItem.delete(userId);
          } else {
            const body = await post(url, READ, { userId });
            const list = body.data?.recommendations as
              { ageSeconds: number; items: Array<{ item: { id: string } }> } | undefined;
            if (list === undefined || body.errors !== undefined) failures += 1;
            else {
              observations.push({ t: elapsed(), ageSeconds: list.ageSeconds });
              const first = list.items[0]?.item.id;
              if (first !== undefined) lastItem.set(userId, first);
            }
          }
        } catch {
          failures += 1;
        }
        await sleep(options.pauseMs);
      }
    };

    const load = Promise.all(Array.from({ length: options.clients }, async (_, index) => client(index)));
    while (Date.now() < until) {
      await sleep(started + snapshots.length * 1000 - Date.now());
      await scrape();
      const last = snapshots.at(-1);
      if (last !== undefined && Math.round(last.t) % 5 === 0)
        progress(`t=${Math.round(last.t)} s: ${requests} requests`);
    }
    await load;
    await scrape();

    const points = windowsOf(snapshots, options.window).map((point) => ({
      ...point,
      clientP99: percentile(
        observations
          .filter((observation) => observation.t > point.t - options.window && observation.t <= point.t)
          .map((o) => o.ageSeconds),
        0.99,
      ),
    }));
    return { options, points, requests, purchases, failures };
  } finally {
    for (const app of replicas.reverse()) await app.close();
  }
}

// Private helpers.

interface Body {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

async function post(url: string, query: string, variables: Record<string, unknown>): Promise<Body> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Body;
}

/** Nearest-rank percentile of raw values; undefined for none. */
function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
