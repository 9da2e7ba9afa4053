import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  BreakerState,
  CacheReadResult,
  FastPathOutcome,
  InvalidationReason,
  ModelCallOutcome,
  OperationOutcome,
  PurchaseEventOutcome,
  ServedSource,
  Telemetry,
} from './events.js';

/**
 * Prometheus metrics built on the telemetry events. Names are a contract with dashboards (grafana/ and the
 * alerts of docs/operations.md): add, never rename. No label ever carries a user id; `model_version` is capped to a few distinct
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
  graphqlOperations: 'recs_graphql_operations_total',
  fastPath: 'recs_graphql_fast_path_total',
  breakerState: 'recs_model_breaker_state',
  warmupDone: 'recs_warmup_done_users',
  warmupTarget: 'recs_warmup_target_users',
  purchaseEvents: 'recs_purchase_events_total',
  purchaseEventsConnected: 'recs_purchase_events_connected',
  purgedKeys: 'recs_purged_keys_total',
  ttl: 'recs_cache_ttl_seconds',
  grace: 'recs_cache_grace_seconds',
  servedDivergence: 'recs_served_divergence',
  servedWithinTarget: 'recs_served_within_target_total',
  freshnessTarget: 'recs_freshness_target',
  inspectionsFailed: 'recs_freshness_inspections_failed_total',
  recomputeDivergence: 'recs_recompute_divergence',
  recomputeTopOverlap: 'recs_recompute_top10_overlap',
  storeBreakerState: 'recs_store_breaker_state',
  purchaseOutbox: 'recs_purchase_outbox_size',
  memoryStoreBytes: 'recs_memory_store_bytes',
  memoryStoreEntries: 'recs_memory_store_entries',
  nearCacheKeys: 'recs_redis_near_cache_keys',
  nearCacheReads: 'recs_redis_near_cache_reads_total',
  nearCacheEvictions: 'recs_redis_near_cache_evictions_total',
} as const;

const MAX_VERSION_LABELS = 16;
/**
 * Operation names come from clients: any document may name its operation anything. The first names seen keep their
 * own series; later ones fold into `other`, and a name too long to be a real one is `other` from the start.
 */
const MAX_OPERATION_LABELS = 50;
const MAX_OPERATION_NAME_LENGTH = 64;
const BREAKER_STATE_VALUES: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 };

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
  readonly #graphqlOperations: Counter<'operation' | 'outcome'>;
  /** One child per outcome, made up front: the fast path counts every request, and a label lookup costs. */
  readonly #fastPath: Readonly<Record<FastPathOutcome, { inc(): void }>>;
  readonly #breakerState: Gauge;
  readonly #warmupDone: Gauge;
  readonly #warmupTarget: Gauge;
  readonly #purgedKeys: Counter;
  readonly #purchaseEvents: Counter<'outcome'>;
  readonly #purchaseEventsConnected: Gauge;
  readonly #servedDivergence: Histogram<'source' | 'age_bucket'>;
  readonly #servedWithinTarget: Counter<'source'>;
  readonly #inspectionsFailed: Counter;
  readonly #recomputeDivergence: Histogram;
  readonly #recomputeTopOverlap: Histogram;
  readonly #versions = new Set<string>();
  readonly #operations = new Set<string>();

  constructor(options: {
    readonly ttlSeconds: number;
    readonly graceSeconds?: number;
    readonly defaultMetrics?: boolean;
    readonly freshnessTarget?: number;
  }) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    // The configured freshness as series of their own, so an alert can compare served age with the TTL the replica
    // actually runs with instead of a number copied into the rule.
    new Gauge({
      name: METRIC_NAMES.ttl,
      help: 'Configured fresh TTL of cached lists (CACHE_TTL_SECONDS).',
      registers,
    }).set(options.ttlSeconds);
    if (options.graceSeconds !== undefined) {
      new Gauge({
        name: METRIC_NAMES.grace,
        help: 'Configured grace past the TTL (CACHE_GRACE_SECONDS).',
        registers,
      }).set(options.graceSeconds);
    }
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
    this.#graphqlOperations = new Counter({
      name: METRIC_NAMES.graphqlOperations,
      help: 'GraphQL operations by name (first 50 names, then "other") and outcome: success, partial, error, rejected.',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    const fastPath = new Counter({
      name: METRIC_NAMES.fastPath,
      help: 'GraphQL POSTs by what the fast path did: served (answered without Apollo), handed_over (ran with errors, Apollo answered with its result), passed (left to Apollo: unknown document, persisted query, ...).',
      labelNames: ['outcome'],
      registers,
    });
    this.#fastPath = {
      served: fastPath.labels('served'),
      handed_over: fastPath.labels('handed_over'),
      passed: fastPath.labels('passed'),
    };
    // The gauges below are hooks: they exist (at their idle value) before the feature that moves them does, so
    // dashboards and alerts can be written against them now.
    this.#breakerState = new Gauge({
      name: METRIC_NAMES.breakerState,
      help: 'State of the circuit breaker around the model: 0 closed, 1 half-open, 2 open.',
      registers,
    });
    this.#warmupDone = new Gauge({
      name: METRIC_NAMES.warmupDone,
      help: 'Users whose list the current (or last) cache warm-up has computed.',
      registers,
    });
    this.#warmupTarget = new Gauge({
      name: METRIC_NAMES.warmupTarget,
      help: 'Users the current (or last) cache warm-up set out to compute.',
      registers,
    });
    this.#purgedKeys = new Counter({
      name: METRIC_NAMES.purgedKeys,
      help: 'Cache keys removed by purges run inside this gateway.',
      registers,
    });
    this.#purchaseEvents = new Counter({
      name: METRIC_NAMES.purchaseEvents,
      help: 'Purchase events from the broker by outcome: applied, duplicate (acknowledged); redelivered (handed back, the store could not take it yet); malformed, conflict (set aside for good).',
      labelNames: ['outcome'],
      registers,
    });
    this.#purchaseEventsConnected = new Gauge({
      name: METRIC_NAMES.purchaseEventsConnected,
      help: 'Purchase event consumer: 1 while connected to its broker with the consumer bound, else 0 (stays 0 when no broker is configured).',
      registers,
    });
    // Freshness (freshness/): how far served lists are from the model's answer now, as an RBO distance.
    const target = options.freshnessTarget ?? DEFAULT_FRESHNESS_TARGET;
    new Gauge({
      name: METRIC_NAMES.freshnessTarget,
      help: 'Configured freshness target: the RBO distance a served list may reach (FRESHNESS_TARGET).',
      registers,
    }).set(target);
    const divergenceBuckets = [...new Set([0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, target])].sort(
      (a, b) => a - b,
    );
    this.#servedDivergence = new Histogram({
      name: METRIC_NAMES.servedDivergence,
      help: "RBO distance (top 20, p 0.9) between sampled lists served from cache and the model's answer at serve time, by source and age bucket.",
      labelNames: ['source', 'age_bucket'],
      buckets: divergenceBuckets,
      registers,
    });
    this.#servedWithinTarget = new Counter({
      name: METRIC_NAMES.servedWithinTarget,
      help: 'Sampled served lists within the freshness target; divided by recs_served_divergence_count, the share within target.',
      labelNames: ['source'],
      registers,
    });
    this.#inspectionsFailed = new Counter({
      name: METRIC_NAMES.inspectionsFailed,
      help: 'Shadow recomputes of the freshness inspector that failed (model down or erroring).',
      registers,
    });
    this.#recomputeDivergence = new Histogram({
      name: METRIC_NAMES.recomputeDivergence,
      help: 'RBO distance between a recomputed list and the list it replaced: the drift each recompute observes.',
      buckets: divergenceBuckets,
      registers,
    });
    this.#recomputeTopOverlap = new Histogram({
      name: METRIC_NAMES.recomputeTopOverlap,
      help: "Share of the replaced list's top 10 still in the recomputed top 10.",
      buckets: [0, 0.2, 0.4, 0.6, 0.8, 0.9, 1],
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

  graphqlOperation(operation: string, outcome: OperationOutcome): void {
    this.#graphqlOperations.inc({ operation: this.#operationLabel(operation), outcome });
  }

  fastPath(outcome: FastPathOutcome): void {
    this.#fastPath[outcome].inc();
  }

  breakerState(state: BreakerState): void {
    this.#breakerState.set(BREAKER_STATE_VALUES[state]);
  }

  warmupProgress(done: number, total: number): void {
    this.#warmupDone.set(done);
    this.#warmupTarget.set(total);
  }

  purchaseEvent(outcome: PurchaseEventOutcome): void {
    this.#purchaseEvents.inc({ outcome });
  }

  purchaseEventsConnected(connected: boolean): void {
    this.#purchaseEventsConnected.set(connected ? 1 : 0);
  }

  purged(keys: number): void {
    this.#purgedKeys.inc(keys);
  }

  servedDivergence(source: 'CACHE' | 'STALE', ageSeconds: number, divergence: number, withinTarget: boolean): void {
    this.#servedDivergence.observe({ source, age_bucket: ageBucket(ageSeconds) }, divergence);
    if (withinTarget) this.#servedWithinTarget.inc({ source });
  }

  inspectionFailed(count: number): void {
    this.#inspectionsFailed.inc(count);
  }

  recomputeDivergence(divergence: number, topKOverlap: number): void {
    this.#recomputeDivergence.observe(divergence);
    this.#recomputeTopOverlap.observe(topKOverlap);
  }

  /** The store's circuit breaker, read when /metrics is scraped (0 closed, 1 half-open, 2 open). */
  watchStoreBreaker(read: () => BreakerState): void {
    new Gauge({
      name: METRIC_NAMES.storeBreakerState,
      help: 'State of the circuit breaker around the cache store (Redis): 0 closed, 1 half-open, 2 open.',
      registers: [this.registry],
      collect() {
        this.set(BREAKER_STATE_VALUES[read()]);
      },
    });
  }

  /** Purchases held because the store could not take them yet, read when /metrics is scraped. */
  watchPurchaseOutbox(read: () => number): void {
    new Gauge({
      name: METRIC_NAMES.purchaseOutbox,
      help: 'Purchases this replica took but could not apply to the store yet; it retries them until the store answers.',
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** The in-memory store's size (estimated bytes against MEMORY_STORE_MAX_BYTES, keys held), read when scraped. */
  watchMemoryStore(read: () => { readonly bytes: number; readonly entries: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: METRIC_NAMES.memoryStoreBytes,
      help: 'Estimated heap bytes the in-memory store holds (keys, packed lists, bookkeeping); bounded by MEMORY_STORE_MAX_BYTES.',
      registers,
      collect() {
        this.set(read().bytes);
      },
    });
    new Gauge({
      name: METRIC_NAMES.memoryStoreEntries,
      help: 'Keys the in-memory store holds (lists, user states, leases, persisted documents).',
      registers,
      collect() {
        this.set(read().entries);
      },
    });
  }

  /**
   * The Redis near cache (`cache/near-cache.ts`), read when scraped. node-redis keeps the counts (they carry on
   * across a lost connection, which clears the cache): they are copied.
   */
  watchNearCache(
    read: () =>
      { readonly keys: number; readonly hits: number; readonly misses: number; readonly evictions: number } | undefined,
  ): void {
    const registers = [this.registry];
    new Gauge({
      name: METRIC_NAMES.nearCacheKeys,
      help: 'Redis keys whose values this replica keeps in process until Redis invalidates them (REDIS_NEAR_CACHE_KEYS bounds it).',
      registers,
      collect() {
        this.set(read()?.keys ?? 0);
      },
    });
    new Counter({
      name: METRIC_NAMES.nearCacheReads,
      help: 'Key reads of the Redis store: result="hit" answered in process, "miss" sent to Redis.',
      labelNames: ['result'] as const,
      registers,
      collect() {
        const figures = read();
        this.reset();
        this.inc({ result: 'hit' }, figures?.hits ?? 0);
        this.inc({ result: 'miss' }, figures?.misses ?? 0);
      },
    });
    new Counter({
      name: METRIC_NAMES.nearCacheEvictions,
      help: 'Keys the near cache let go unasked: kept past REDIS_NEAR_CACHE_MS, or the oldest past REDIS_NEAR_CACHE_KEYS.',
      registers,
      collect() {
        this.reset();
        this.inc(read()?.evictions ?? 0);
      },
    });
  }

  #operationLabel(operation: string): string {
    if (this.#operations.has(operation)) return operation;
    if (this.#operations.size >= MAX_OPERATION_LABELS || operation.length > MAX_OPERATION_NAME_LENGTH) return 'other';
    this.#operations.add(operation);
    return operation;
  }

  #versionLabel(version: string): string {
    if (this.#versions.has(version)) return version;
    if (this.#versions.size >= MAX_VERSION_LABELS) return 'other';
    this.#versions.add(version);
    return version;
  }
}

/** Default of FRESHNESS_TARGET, for telemetry built without a config (tests, tools). */
const DEFAULT_FRESHNESS_TARGET = 0.1;

/** A few fixed age ranges, so divergence can be read against age without a label per second. */
export function ageBucket(ageSeconds: number): string {
  if (ageSeconds < 60) return '0-1m';
  if (ageSeconds < 600) return '1m-10m';
  if (ageSeconds < 3600) return '10m-1h';
  if (ageSeconds < 6 * 3600) return '1h-6h';
  return '6h+';
}
