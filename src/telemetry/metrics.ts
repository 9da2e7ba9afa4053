import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheReadResult, InvalidationReason, ModelCallOutcome, ServedSource, Telemetry } from './events.js';

/**
 * Prometheus metrics built on the telemetry events. Names are a contract with dashboards (grafana/ and the README's
 * alerting notes): add, never rename. No label ever carries a user id; `model_version` is capped to a few distinct
 * values so a misbehaving model cannot blow up the series count.
 */
export const METRIC_NAMES = {
  cacheReads: 'recs_cache_reads_total',
  servedAge: 'recs_served_age_seconds',
  servedLists: 'recs_served_lists_total',
  modelCalls: 'recs_model_calls_total',
  modelDuration: 'recs_model_duration_seconds',
  modelBatchSize: 'recs_model_batch_size',
  modelUsers: 'recs_model_users_total',
  invalidations: 'recs_invalidations_total',
  storeErrors: 'recs_store_errors_total',
  writesRefused: 'recs_cache_writes_refused_total',
} as const;

const MAX_VERSION_LABELS = 16;

export class PrometheusTelemetry implements Telemetry {
  readonly registry = new Registry();
  readonly #cacheReads: Counter<'result'>;
  readonly #servedAge: Histogram<'source'>;
  readonly #servedLists: Counter<'model_version' | 'source'>;
  readonly #modelCalls: Counter<'outcome'>;
  readonly #modelDuration: Histogram;
  readonly #modelBatchSize: Histogram;
  readonly #modelUsers: Counter;
  readonly #invalidations: Counter<'reason'>;
  readonly #storeErrors: Counter<'operation'>;
  readonly #writesRefused: Counter;
  readonly #versions = new Set<string>();

  constructor(options: { readonly ttlSeconds: number; readonly defaultMetrics?: boolean }) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.#cacheReads = new Counter({
      name: METRIC_NAMES.cacheReads,
      help: 'Cache reads by result: hit (fresh), stale (served within grace), miss (computed before answering).',
      labelNames: ['result'],
      registers,
    });
    // Buckets reach past the TTL on purpose: the incident this exists for was lists hours old behind fast reads.
    const ttl = options.ttlSeconds;
    const ageBuckets = [...new Set([1, 10, 60, ttl / 4, ttl / 2, ttl, ttl * 2, ttl * 6, 3600, 6 * 3600, 24 * 3600])]
      .filter((bucket) => bucket > 0)
      .sort((a, b) => a - b);
    this.#servedAge = new Histogram({
      name: METRIC_NAMES.servedAge,
      help: 'Age of served lists (serve time minus generatedAt), by source.',
      labelNames: ['source'],
      buckets: ageBuckets,
      registers,
    });
    this.#servedLists = new Counter({
      name: METRIC_NAMES.servedLists,
      help: 'Lists served, by the model version that computed them and source: a version skew after a deploy shows here.',
      labelNames: ['model_version', 'source'],
      registers,
    });
    this.#modelCalls = new Counter({
      name: METRIC_NAMES.modelCalls,
      help: 'Batched model calls by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.#modelDuration = new Histogram({
      name: METRIC_NAMES.modelDuration,
      help: 'Duration of one batched model call.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#modelBatchSize = new Histogram({
      name: METRIC_NAMES.modelBatchSize,
      help: 'Users per batched model call.',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers,
    });
    this.#modelUsers = new Counter({
      name: METRIC_NAMES.modelUsers,
      help: 'User lists the model was asked to compute: the recompute cost freshness is paying for.',
      registers,
    });
    this.#invalidations = new Counter({
      name: METRIC_NAMES.invalidations,
      help: 'Cached lists invalidated, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.#storeErrors = new Counter({
      name: METRIC_NAMES.storeErrors,
      help: 'Cache store (Redis) failures by operation; each one degraded to the model instead of failing a read.',
      labelNames: ['operation'],
      registers,
    });
    this.#writesRefused = new Counter({
      name: METRIC_NAMES.writesRefused,
      help: 'Recomputed lists not written because a purchase invalidated the user while the model ran.',
      registers,
    });
  }

  cacheRead(result: CacheReadResult, count: number): void {
    this.#cacheReads.inc({ result }, count);
  }

  served(source: ServedSource, modelVersion: string, ageSeconds: number): void {
    this.#servedAge.observe({ source }, ageSeconds);
    this.#servedLists.inc({ model_version: this.#versionLabel(modelVersion), source });
  }

  modelCall(outcome: ModelCallOutcome, durationMs: number, batchSize: number): void {
    this.#modelCalls.inc({ outcome });
    this.#modelDuration.observe(durationMs / 1000);
    this.#modelBatchSize.observe(batchSize);
    this.#modelUsers.inc(batchSize);
  }

  invalidation(reason: InvalidationReason): void {
    this.#invalidations.inc({ reason });
  }

  storeError(operation: string): void {
    this.#storeErrors.inc({ operation });
  }

  writeRefused(count: number): void {
    this.#writesRefused.inc(count);
  }

  #versionLabel(version: string): string {
    if (this.#versions.has(version)) return version;
    if (this.#versions.size >= MAX_VERSION_LABELS) return 'other';
    this.#versions.add(version);
    return version;
  }
}
