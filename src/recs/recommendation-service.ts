import type { CacheStore, PurchaseLimits } from '../cache/cache-store.js';
import { StoreBudget, UNBOUNDED_BUDGET_MS } from '../cache/store-budget.js';
import type { TtlPolicy } from '../cache/ttl-policy.js';
import { ModelUnavailableError } from '../errors.js';
import type { FreshnessHooks } from '../freshness/hooks.js';
import type { Model } from '../model/model.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import { realClock } from './clock.js';
import type { Clock } from './clock.js';
import { ComputeAdmission } from './compute-admission.js';
import type { LoadOptions } from './compute-admission.js';
import { ListComputer } from './list-computer.js';
import { PurchaseInvalidation } from './purchase-invalidation.js';
import { BatchReader } from './read-and-classify.js';
import { RecomputeCoordinator } from './recompute-coordinator.js';
import { ReplacedEntries } from './replaced-entries.js';
import type { ServedList } from './served-list.js';
import { ListServer, withPending } from './serving.js';
import { keysOf, recomputeOf, userLoads } from './user-load.js';
import type { UserLoad } from './user-load.js';

export type { LoadOptions } from './compute-admission.js';

export interface RecommendationServiceOptions {
  readonly store: CacheStore;
  readonly model: Model;
  readonly keyPrefix: string;
  readonly ttl: TtlPolicy;
  /** How long past its TTL a list may be served as STALE (stale-while-revalidate, stale-if-error). */
  readonly graceMs: number;
  /** How many ranked items a cached list holds. */
  readonly listSize: number;
  /** How long a recompute lease lasts: a holder that dies blocks the key for at most this long. */
  readonly leaseMs: number;
  /** How long a request without a graced list waits for another replica's recompute before computing itself. */
  readonly leaseWaitMs: number;
  /** XFetch's beta; 0 turns early refresh off. */
  readonly earlyRefreshBeta: number;
  readonly purchaseLimits: PurchaseLimits;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /**
   * The time one request may spend waiting on the store, over all its calls (read, lease, polls, write); normally
   * REDIS_TIMEOUT_MS. Unbounded when absent (each call is then bounded by the store alone).
   */
  readonly storeBudgetMs?: number;
  /**
   * Purchases this replica took but could not apply to the store yet (`purchases/purchase-outbox.ts`): a user with
   * one is never served from cache here (the cached list may predate the purchase), and the items are filtered out.
   */
  readonly pendingPurchases?: { itemsFor(userId: string): readonly string[] | undefined };
  /**
   * How many users this process may be computing at once without charging the client (computes caused by the
   * store, not by the client: see `LoadOptions.admitComputes`). Protects the model during a store outage, when
   * every read is a compute. Unlimited when absent.
   */
  readonly maxUnchargedComputes?: number;
  /** Told which users were read, cheaply and synchronously, so a cutover warm-up knows who is active (`active-users.ts`). */
  readonly activity?: { touch(userIds: readonly string[]): void };
  /** What time it is, and how the read path waits (the lease poll); real time when absent. */
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Drift measured at recompute and a drift-tuned TTL; a sampler of served lists (`freshness/hooks.ts`). */
  readonly freshness?: FreshnessHooks;
}

/**
 * The read path, as a chain of stages over one batch of users (the batch DataLoader hands us), each its own part:
 *
 *   read and classify (`read-and-classify.ts`: one round trip; fresh | stale | expired)
 *     → refresh stale lists in the background, admit the misses (`compute-admission.ts`)
 *     → recompute them (`recompute-coordinator.ts`: coalesced in-process, leased across replicas; `list-computer.ts`:
 *       one model call, entries built by `entry-builder.ts`, one compare-and-set write)
 *     → serve (`serving.ts`: bought items filtered out, ranks renumbered)
 *
 * and the purchase path that invalidates (`purchase-invalidation.ts`). One record per user (`user-load.ts`) travels
 * through the stages. The decisions are the pure functions in `cache/freshness.ts` and `cache/ttl-policy.ts`; the
 * parts only sequence I/O around them.
 *
 * Degradation, by design: the store failing turns reads into misses and skips writes (answers come from the model);
 * the model failing serves graced lists as STALE and fails only users with nothing to serve, as MODEL_UNAVAILABLE.
 */
export class RecommendationService {
  readonly #options: RecommendationServiceOptions;
  readonly #clock: Clock;
  readonly #reader: BatchReader;
  readonly #admission: ComputeAdmission;
  readonly #coordinator: RecomputeCoordinator;
  readonly #replaced = new ReplacedEntries();
  readonly #server = new ListServer();
  readonly #purchases: PurchaseInvalidation;

  constructor(options: RecommendationServiceOptions) {
    this.#options = options;
    const clock = options.clock ?? realClock;
    const now = () => clock.now();
    const random = options.random ?? Math.random;
    this.#clock = clock;
    this.#reader = new BatchReader({ ...options, now, random });
    this.#admission = new ComputeAdmission(options.maxUnchargedComputes);
    // A lease guards one computation; one that outlived the list it produced would keep that list's own
    // stale-while-revalidate refresh out (the write gives it back too; this bounds the case where it could not). So it
    // is never longer than the shortest fresh TTL the policy can give, and a reader waits on it no longer than it lasts.
    const shortestFreshMs = Math.floor(options.ttl.minTtlMs * (1 - options.ttl.jitter));
    const leaseMs = Math.max(1, Math.min(options.leaseMs, shortestFreshMs));
    this.#coordinator = new RecomputeCoordinator({
      ...options,
      reader: this.#reader,
      lists: new ListComputer({ ...options, replaced: this.#replaced, now, random }),
      leaseMs,
      leaseWaitMs: Math.min(options.leaseWaitMs, leaseMs),
      clock,
    });
    this.#purchases = new PurchaseInvalidation({ ...options, coordinator: this.#coordinator });
  }

  /** The active model version: the namespace every read and write goes to. */
  get modelVersion(): string {
    return this.#options.model.currentVersion();
  }

  /**
   * Loads lists for a batch of distinct user ids; one result per id, in order: a list, or an Error for that user.
   * This is the DataLoader batch function.
   */
  async loadMany(userIds: readonly string[], options: LoadOptions = {}): Promise<Array<ServedList | Error>> {
    this.#options.activity?.touch(userIds);
    const version = this.modelVersion;
    const budget = this.#budget();
    const loads = userLoads(userIds, this.#options.keyPrefix, version);
    const read = await this.#reader.read(loads.map(keysOf), budget);
    const { toRefresh, toCompute, storeFailed } = this.#reader.classify(loads, read, version);
    if (toRefresh.length > 0) this.#refreshInBackground(toRefresh, version);
    if (toCompute.length > 0) await this.#computeMisses(toCompute, storeFailed, version, budget, options);
    const servedAt = this.#clock.now();
    return loads.map((load) => this.#answer(load, servedAt));
  }

  /**
   * Tells the model about a purchase (so its next rankings exclude the item). Best effort: the store's bought-item
   * memory filters the item out of every served list even if the model never hears of it.
   */
  learnPurchase(userId: string, itemId: string): Promise<void> {
    return this.#purchases.learnPurchase(userId, itemId);
  }

  /**
   * Applies a purchase to the store, atomically: bumps the user's generation, remembers the item for serve-time
   * filtering, deletes the user's list and lease. Idempotent (the bought items are a set; a second bump only costs a
   * recompute). Rejects with the store's error when it could not be applied: the caller decides what to do then
   * (checkout is told to retry, and this replica keeps the purchase until it lands; see `purchases/`).
   */
  applyPurchase(userId: string, itemId: string, at: number): Promise<void> {
    return this.#purchases.applyPurchase(userId, itemId, at, this.modelVersion);
  }

  /** Stale-while-revalidate: the reader already has its answer; the recompute runs off the request path. */
  #refreshInBackground(loads: readonly UserLoad[], version: string): void {
    // Freshness hook: the recompute compares its list with the one it replaces (drift measured for free).
    const replaced = this.#options.freshness === undefined ? [] : this.#replaced.remember(loads);
    const refresh = this.#coordinator.recompute(loads.map(recomputeOf), version, 'background', this.#budget());
    void refresh.finally(() => this.#replaced.forget(replaced));
  }

  /** Admits the misses, then recomputes those admitted before answering; the others get their refusal. */
  async #computeMisses(
    misses: readonly UserLoad[],
    storeFailed: boolean,
    version: string,
    budget: StoreBudget,
    options: LoadOptions,
  ): Promise<void> {
    const admitted = await this.#admission.admit(misses, storeFailed, options);
    // Freshness hook: a list past a drift-bounded grace is still stored; its recompute compares with it too.
    const replaced = this.#options.freshness === undefined ? [] : this.#replaced.remember(admitted.loads);
    try {
      await this.#coordinator.recompute(admitted.loads, version, 'foreground', budget);
    } finally {
      this.#admission.release(admitted);
      this.#replaced.forget(replaced);
    }
  }

  /** One user's answer: the refusal, the list served, or MODEL_UNAVAILABLE when there is nothing to serve. */
  #answer(load: UserLoad, servedAt: number): ServedList | Error {
    if (load.refusal !== undefined) return load.refusal;
    if (load.entry === undefined) return new ModelUnavailableError(load.error);
    const served = this.#server.serve(
      load.userId,
      load.entry,
      load.source,
      withPending(load.state, load.pending, servedAt),
      servedAt,
    );
    this.#options.telemetry.served(served.source, served.modelVersion, served.ageSeconds);
    // Freshness hook: a cached list may be sampled for a shadow recompute, later and off this request's path.
    if (load.source !== 'MODEL')
      this.#options.freshness?.sampler?.offer(load.userId, load.entry, load.source, servedAt);
    return served;
  }

  #budget(): StoreBudget {
    return new StoreBudget(this.#options.storeBudgetMs ?? UNBOUNDED_BUDGET_MS);
  }
}
