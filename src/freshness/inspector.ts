import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheEntry } from '../cache/cache-entry.js';
import type { Model } from '../model/model.js';
import type { Logger, ServedSource } from '../telemetry/events.js';
import { MEASURE_DEPTH } from './drift-tracker.js';
import type { ServedListSampler } from './hooks.js';
import { DEFAULT_RBO_P, rboDistance } from './rbo.js';

type CachedSource = Exclude<ServedSource, 'MODEL'>;

/** What the inspector reports. */
export interface InspectorTelemetry {
  /** One served list compared with the model's answer now: its RBO distance, and whether it is within the target. */
  servedDivergence(source: CachedSource, ageSeconds: number, divergence: number, withinTarget: boolean): void;
  /** Shadow recomputes that failed (the model was down, or answered with an error for that user). */
  inspectionFailed(count: number): void;
}

export interface FreshnessInspectorOptions {
  readonly model: Model;
  /** Shadow recomputes per second at most; 0 turns the inspector off. */
  readonly perSecond: number;
  /** FRESHNESS_TARGET: the RBO distance a served list counts as within. */
  readonly target: number;
  readonly telemetry: InspectorTelemetry;
  readonly logger: Logger;
}

interface Sample {
  readonly userId: string;
  readonly entry: CacheEntry;
  readonly source: CachedSource;
  readonly servedAt: number;
}

/**
 * The freshness inspector: how far lists served from cache are from what the model would answer now. No cache and no
 * dashboard shows this; latency and age do not (a young list can be wrong, an old one right).
 *
 * A sample of served lists is recomputed in the shadow: `offer` runs on the hit path, so it only checks a token
 * bucket (`perSecond` tokens a second, a second's worth at most) and queues the list; the model call happens later,
 * in a timer, off every request's path, and its result is compared (RBO distance over the top 20) and reported, never
 * served or written. The compute budget is the inspector's own: it never charges a client's compute budget, and a
 * sampled read has already been answered when the shadow recompute starts. A failing model costs a counter, nothing
 * more.
 */
export class FreshnessInspector implements ServedListSampler {
  readonly #options: FreshnessInspectorOptions;
  readonly #capacity: number;
  #tokens: number;
  #refilledAt: number | undefined;
  #pending: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  /**
   * The async context the inspector was built in, outside every request. `offer` runs inside the sampled request,
   * and a timer set there would carry that request's context into the shadow recompute: its model call would show in
   * the request's trace and reach a remote model under the request's id.
   */
  readonly #outsideRequests = AsyncLocalStorage.snapshot();

  constructor(options: FreshnessInspectorOptions) {
    if (!(options.perSecond >= 0) || !Number.isFinite(options.perSecond)) {
      throw new RangeError(
        `the inspector's budget must be a finite number of computes per second of at least 0, but got: ${options.perSecond}`,
      );
    }
    this.#options = options;
    this.#capacity = Math.max(1, options.perSecond);
    this.#tokens = this.#capacity;
  }

  get enabled(): boolean {
    return this.#options.perSecond > 0 && !this.#closed;
  }

  offer(userId: string, entry: CacheEntry, source: CachedSource, servedAt: number): void {
    if (!this.enabled) return;
    const elapsed = this.#refilledAt === undefined ? 0 : Math.max(0, servedAt - this.#refilledAt);
    this.#refilledAt = servedAt;
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed / 1000) * this.#options.perSecond);
    if (this.#tokens < 1) return;
    this.#tokens -= 1;
    this.#pending.push({ userId, entry, source, servedAt });
    if (this.#timer === undefined && this.#running === undefined) this.#schedule();
  }

  /** Resolves when every sample taken so far has been inspected (tests, and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.#timer !== undefined || this.#running !== undefined) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#running = this.#outsideRequests(() => this.#drain());
      }
      await this.#running;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = [];
    await this.#running;
  }

  #schedule(): void {
    // A timer, not a microtask: the sampled request finishes writing its response before the shadow recompute starts.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#outsideRequests(() => this.#drain());
    }, 0);
    this.#timer.unref();
  }

  async #drain(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    try {
      if (batch.length > 0) await this.#inspect(batch);
    } finally {
      this.#running = undefined;
      if (this.#pending.length > 0 && !this.#closed) this.#schedule();
    }
  }

  async #inspect(batch: readonly Sample[]): Promise<void> {
    const { model, telemetry, logger, target } = this.#options;
    let lists;
    try {
      lists = await model.scoreAndRank(
        batch.map((sample) => sample.userId),
        MEASURE_DEPTH,
      );
    } catch (error) {
      telemetry.inspectionFailed(batch.length);
      logger.debug({ err: error, users: batch.length }, 'freshness inspection failed');
      return;
    }
    batch.forEach((sample, index) => {
      const list = lists[index];
      if (list === undefined || list instanceof Error) {
        telemetry.inspectionFailed(1);
        return;
      }
      const served = sample.entry.items.slice(0, MEASURE_DEPTH).map((item) => item.itemId);
      const now = list.items.slice(0, MEASURE_DEPTH).map((item) => item.itemId);
      const divergence = rboDistance(served, now, MEASURE_DEPTH, DEFAULT_RBO_P);
      const ageSeconds = Math.max(0, (sample.servedAt - sample.entry.generatedAt) / 1000);
      telemetry.servedDivergence(sample.source, ageSeconds, divergence, divergence <= target);
    });
  }
}
