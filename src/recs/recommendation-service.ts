import { randomUUID } from 'node:crypto';
import type { CacheEntry, UserState } from '../cache/cache-entry.js';
import { EMPTY_USER_STATE } from '../cache/cache-entry.js';
import type { CacheStore, EntryWrite, PurchaseLimits, UserSnapshot } from '../cache/cache-store.js';
import { classify, shouldRefreshEarly } from '../cache/freshness.js';
import { userKeys } from '../cache/key-scheme.js';
import type { UserKeys } from '../cache/key-scheme.js';
import { freshTtlMs } from '../cache/ttl-policy.js';
import { quantiseItems } from '../cache/packed-entry.js';
import { StoreBudget, UNBOUNDED_BUDGET_MS } from '../cache/store-budget.js';
import type { TtlPolicy } from '../cache/ttl-policy.js';
import { ModelUnavailableError, StoreNotAttemptedError } from '../errors.js';
import type { Model, RankedList } from '../model/model.js';
import type { Logger, ServedSource, Telemetry } from '../telemetry/events.js';
import type { ServedItem, ServedList } from './served-list.js';
import type { FreshnessHooks } from '../freshness/hooks.js';

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
  readonly now?: () => number;
  readonly random?: () => number;
  /** Drift measured at recompute and a drift-tuned TTL; a sampler of served lists (`freshness/hooks.ts`). */
  readonly freshness?: FreshnessHooks;
}

/** A user's list as computed (or found) by a recompute, plus whether it may be served as MODEL or came from cache. */
interface Computed {
  readonly entry: CacheEntry;
  readonly source: ServedSource;
}

type Outcome = Computed | Error;

export interface LoadOptions {
  /**
   * Called before the model computes lists for this batch's misses, one user at a time (`count` is 1); rejecting
   * (e.g. a client over its budget) fails that user and every miss after it with the rejection, while the misses
   * admitted before it are computed and hits and stale lists are still served.
   */
  readonly admitComputes?: (count: number) => Promise<void>;
}

/** Why a user of a batch is computed rather than served from cache: charged to the client, or not. */
type ComputeCause = 'expired' | 'store';

const LEASE_POLL_MS = 20;
const OWN_LEASES_PRUNE_AT = 1_000;

/**
 * The read path, as a chain of stages over one batch of users (the batch DataLoader hands us):
 *
 *   build keys → read (one round trip) → classify (fresh | stale | expired) → serve or recompute → write → filter
 *
 * and the purchase path that invalidates. The decisions are the pure functions in `cache/freshness.ts` and
 * `cache/ttl-policy.ts`; this class only sequences I/O around them.
 *
 * Degradation, by design: the store failing turns reads into misses and skips writes (answers come from the model);
 * the model failing serves graced lists as STALE and fails only users with nothing to serve, as MODEL_UNAVAILABLE.
 */
export class RecommendationService {
  readonly #options: RecommendationServiceOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  /**
   * In-process coalescing: one recompute per user and version at a time in this process. Replicas coordinate through
   * the store's lease; this map saves the round trip when the same process asks twice.
   */
  readonly #inflight = new Map<string, Promise<Outcome>>();
  /** Freshness hook: the entry a background recompute replaces, by entry key, until that recompute builds its successor. */
  readonly #replacing = new Map<string, CacheEntry>();
  /**
   * The recompute lease's TTL: the configured `leaseMs`, but never longer than the shortest fresh TTL the policy can
   * give. A lease guards one computation; one that outlived the list it produced would keep that list's own
   * stale-while-revalidate refresh out (the write gives it back too; this bounds the case where it could not).
   */
  readonly #leaseMs: number;
  /** How long a reader waits on another's lease: never longer than the lease itself. */
  readonly #leaseWaitMs: number;
  /**
   * Leases this process took and has not seen given back (by its write or release), with when they lapse. A reader
   * refused one of these is refused by its own process, which is not computing the list (that would be in
   * `#inflight`): typically a write the store did not take. It computes at once instead of waiting on itself.
   */
  readonly #ownLeases = new Map<string, number>();
  /** Users being computed right now without being charged to a client (store-caused computes). */
  #unchargedInFlight = 0;

  constructor(options: RecommendationServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    const shortestFreshMs = Math.floor(options.ttl.minTtlMs * (1 - options.ttl.jitter));
    this.#leaseMs = Math.max(1, Math.min(options.leaseMs, shortestFreshMs));
    this.#leaseWaitMs = Math.min(options.leaseWaitMs, this.#leaseMs);
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
    const { telemetry } = this.#options;
    this.#options.activity?.touch(userIds);
    const version = this.modelVersion;
    const keys = userIds.map((userId) => userKeys(this.#options.keyPrefix, userId, version));
    const budget = this.#budget();
    const read = await this.#read(keys, budget);
    const snapshots = read.snapshots;
    const now = this.#now();
    // A purchase this replica could not apply yet: the store may still hold the list from before it.
    const pending = userIds.map((userId) => this.#options.pendingPurchases?.itemsFor(userId));

    const results = new Array<Computed | undefined>(userIds.length);
    const toCompute: number[] = [];
    const toRefresh: number[] = [];
    let hits = 0;
    let stale = 0;
    snapshots.forEach((snapshot, index) => {
      const entry =
        snapshot.entry?.modelVersion === version && pending[index] === undefined ? snapshot.entry : undefined;
      switch (classify(entry, now)) {
        case 'fresh':
          hits += 1;
          results[index] = { entry: entry as CacheEntry, source: 'CACHE' };
          if (shouldRefreshEarly(entry as CacheEntry, now, this.#options.earlyRefreshBeta, this.#random))
            toRefresh.push(index);
          break;
        case 'stale':
          stale += 1;
          results[index] = { entry: entry as CacheEntry, source: 'STALE' };
          toRefresh.push(index);
          break;
        case 'expired':
          toCompute.push(index);
          break;
      }
    });
    if (hits > 0) telemetry.cacheRead('hit', hits);
    if (stale > 0) telemetry.cacheRead('stale', stale);
    if (toCompute.length > 0) telemetry.cacheRead('miss', toCompute.length);

    if (toRefresh.length > 0) {
      // Freshness hook: the recompute compares its list with the one it replaces (drift measured for free).
      const replaced =
        this.#options.freshness === undefined
          ? []
          : toRefresh.map((index) => this.#remember(keys[index] as UserKeys, results[index]?.entry));
      // Stale-while-revalidate: the reader already has its answer; the recompute runs off the request path.
      const refresh = this.#recompute(
        toRefresh.map((index) => userIds[index] as string),
        toRefresh.map((index) => keys[index] as UserKeys),
        toRefresh.map((index) => snapshots[index]?.state ?? EMPTY_USER_STATE),
        version,
        'background',
        this.#budget(),
      );
      void refresh.finally(() => replaced.forEach(([key, entry]) => this.#forget(key, entry)));
    }

    // Who pays for a compute. A user whose list expired is the client's doing and is charged to its budget; a user
    // computed only because the store could not answer (or because this replica holds a purchase for them that the
    // store has not taken yet) is the store's doing and is not: an outage must not turn into RATE_LIMITED. Those
    // computes are capped per process instead (`maxUnchargedComputes`), and the model keeps its own breaker.
    const cause = (index: number): ComputeCause => (read.failed || pending[index] !== undefined ? 'store' : 'expired');
    // Admitted one miss at a time: a batch larger than what is left of the budget (or than the whole budget) still
    // gets the users that fit, instead of being refused whole while its refusal uses up the budget.
    let refused: Error | undefined;
    const admitted: number[] = [];
    const overCap = new Set<number>();
    let uncharged = 0;
    for (const index of toCompute) {
      if (cause(index) === 'store') {
        if (this.#takeUncharged()) {
          uncharged += 1;
          admitted.push(index);
        } else overCap.add(index);
        continue;
      }
      if (refused !== undefined) continue;
      refused = await admit(options, 1);
      if (refused === undefined) admitted.push(index);
    }
    // Freshness hook: a list past a drift-bounded grace is still stored; its recompute compares with it too.
    const expired =
      this.#options.freshness === undefined
        ? []
        : admitted.map((index) =>
            this.#remember(keys[index] as UserKeys, sameVersion(snapshots[index]?.entry, version)),
          );
    let computed: Outcome[];
    try {
      computed = await this.#recompute(
        admitted.map((index) => userIds[index] as string),
        admitted.map((index) => keys[index] as UserKeys),
        admitted.map((index) => snapshots[index]?.state ?? EMPTY_USER_STATE),
        version,
        'foreground',
        budget,
      );
    } finally {
      this.#unchargedInFlight -= uncharged;
      expired.forEach(([key, entry]) => this.#forget(key, entry));
    }

    const servedAt = this.#now();
    const computedByIndex = new Map<number, Outcome | undefined>(toCompute.map((index) => [index, refused]));
    admitted.forEach((index, position) => computedByIndex.set(index, computed[position]));
    return userIds.map((userId, index) => {
      if (overCap.has(index))
        return new ModelUnavailableError(new Error('too many computes while the store is unavailable'));
      const outcome = results[index] ?? computedByIndex.get(index);
      if (outcome === refused && refused !== undefined) return refused;
      if (outcome === undefined || outcome instanceof Error) return new ModelUnavailableError(outcome);
      const state = withPending(snapshots[index]?.state ?? EMPTY_USER_STATE, pending[index], servedAt);
      const served = serve(userId, outcome, state, servedAt);
      telemetry.served(served.source, served.modelVersion, served.ageSeconds);
      // Freshness hook: a cached list may be sampled for a shadow recompute, later and off this request's path.
      if (served.source !== 'MODEL')
        this.#options.freshness?.sampler?.offer(userId, outcome.entry, served.source, servedAt);
      return served;
    });
  }

  /**
   * Tells the model about a purchase (so its next rankings exclude the item). Best effort: the store's bought-item
   * memory filters the item out of every served list even if the model never hears of it.
   */
  async learnPurchase(userId: string, itemId: string): Promise<void> {
    try {
      await this.#options.model.recordPurchase(userId, itemId);
    } catch (error) {
      this.#options.logger.error(
        { err: error, userId },
        'model did not record the purchase; the cache still invalidates and filters it',
      );
    }
  }

  /**
   * Applies a purchase to the store, atomically: bumps the user's generation, remembers the item for serve-time
   * filtering, deletes the user's list and lease. Idempotent (the bought items are a set; a second bump only costs a
   * recompute). Rejects with the store's error when it could not be applied: the caller decides what to do then
   * (checkout is told to retry, and this replica keeps the purchase until it lands; see `purchases/`).
   */
  async applyPurchase(userId: string, itemId: string, at: number): Promise<void> {
    const { store, telemetry, logger } = this.#options;
    const keys = userKeys(this.#options.keyPrefix, userId, this.modelVersion);
    // A recompute started before this purchase must not be shared with readers that arrive after it.
    this.#inflight.delete(keys.entry);
    try {
      await store.recordPurchase(keys, { itemId, at }, this.#options.purchaseLimits);
    } catch (error) {
      telemetry.storeError('purchase');
      logger.error({ err: error, userId }, 'purchase could not invalidate the cached list');
      throw error;
    }
    // Again: a recompute may have joined the map while the store call was out.
    this.#inflight.delete(keys.entry);
    telemetry.invalidation('purchase');
  }

  #budget(): StoreBudget {
    return new StoreBudget(this.#options.storeBudgetMs ?? UNBOUNDED_BUDGET_MS);
  }

  /** Forgets own leases that have lapsed; cheap, and only when the map has grown (store trouble). */
  #pruneOwnLeases(now: number): void {
    if (this.#ownLeases.size < OWN_LEASES_PRUNE_AT) return;
    for (const [lease, lapsesAt] of this.#ownLeases) if (lapsesAt <= now) this.#ownLeases.delete(lease);
  }

  #takeUncharged(): boolean {
    if (this.#unchargedInFlight >= (this.#options.maxUnchargedComputes ?? Number.POSITIVE_INFINITY)) return false;
    this.#unchargedInFlight += 1;
    return true;
  }

  /** The snapshots, or empty ones when the store failed (`failed`: every miss of this read is the store's doing). */
  async #read(
    keys: readonly UserKeys[],
    budget: StoreBudget,
  ): Promise<{ snapshots: readonly UserSnapshot[]; failed: boolean }> {
    try {
      return { snapshots: await budget.run('read', () => this.#options.store.readMany(keys)), failed: false };
    } catch (error) {
      this.#options.telemetry.storeError('read');
      if (!(error instanceof StoreNotAttemptedError))
        this.#options.logger.warn({ err: error }, 'cache read failed; answering from the model');
      return { snapshots: keys.map(() => ({ entry: undefined, state: EMPTY_USER_STATE })), failed: true };
    }
  }

  /**
   * Recomputes lists for users, coalesced in-process and leased across replicas. Resolves with one outcome per user.
   * Background recomputes never reject and never wait on another replica's lease: someone is already on it.
   */
  async #recompute(
    userIds: readonly string[],
    keys: readonly UserKeys[],
    states: readonly UserState[],
    version: string,
    mode: 'foreground' | 'background',
    budget: StoreBudget,
  ): Promise<Outcome[]> {
    if (userIds.length === 0) return [];
    const pending = new Array<Promise<Outcome> | undefined>(userIds.length);
    const fresh: number[] = [];
    keys.forEach((userKeys, index) => {
      const joined = this.#inflight.get(userKeys.entry);
      if (joined !== undefined) pending[index] = joined;
      else fresh.push(index);
    });

    if (fresh.length > 0) {
      const batch = this.#computeLeased(
        fresh.map((index) => userIds[index] as string),
        fresh.map((index) => keys[index] as UserKeys),
        fresh.map((index) => states[index] as UserState),
        version,
        mode,
        budget,
      );
      fresh.forEach((index, position) => {
        const key = (keys[index] as UserKeys).entry;
        const promise = batch.then((outcomes) => outcomes[position] as Outcome);
        this.#inflight.set(key, promise);
        void promise.finally(() => {
          if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
        });
        pending[index] = promise;
      });
    }
    return Promise.all(pending as Array<Promise<Outcome>>);
  }

  async #computeLeased(
    userIds: readonly string[],
    keys: readonly UserKeys[],
    states: readonly UserState[],
    version: string,
    mode: 'foreground' | 'background',
    budget: StoreBudget,
  ): Promise<Outcome[]> {
    const token = randomUUID();
    const granted = await this.#acquireLeases(keys, token, budget);
    const now = this.#now();
    const winners: number[] = [];
    const losers: number[] = [];
    const ownLeased: number[] = [];
    granted.forEach((won, index) => {
      const lease = (keys[index] as UserKeys).lease;
      if (won) {
        winners.push(index);
        this.#ownLeases.set(lease, now + this.#leaseMs);
      } else if ((this.#ownLeases.get(lease) ?? 0) > now) ownLeased.push(index);
      else losers.push(index);
    });
    this.#pruneOwnLeases(now);
    const outcomes = new Array<Outcome>(userIds.length);

    /** Computes the users at these positions (holding `leaseToken`, if any) and puts their outcomes in place. */
    const computeAt = async (positions: readonly number[], leaseToken: string | undefined): Promise<void> => {
      if (positions.length === 0) return;
      const computed = await this.#computeAndWrite(
        positions.map((index) => userIds[index] as string),
        positions.map((index) => keys[index] as UserKeys),
        positions.map((index) => states[index] as UserState),
        version,
        leaseToken,
        budget,
      );
      positions.forEach((index, position) => (outcomes[index] = computed[position] as Outcome));
    };
    const awaitLosers = async () => {
      if (losers.length === 0) return;
      if (mode === 'background') {
        losers.forEach((index) => (outcomes[index] = new Error('another replica holds the lease')));
        return;
      }
      // Someone else is computing these users: wait for their write rather than computing the same lists again.
      const waited = await this.#awaitOthers(
        losers.map((index) => keys[index] as UserKeys),
        version,
        budget,
      );
      const stillMissing = losers.filter((_, position) => waited[position] === undefined);
      losers.forEach((index, position) => {
        const entry = waited[position];
        if (entry !== undefined) outcomes[index] = { entry, source: 'CACHE' };
      });
      // The holder is slow or died: its lease will lapse; this request computes rather than wait that long.
      await computeAt(stillMissing, undefined);
    };

    await Promise.all([
      computeAt(winners, token),
      // Refused by our own lease: nobody is computing these (it would be in `#inflight`), so waiting would only wait
      // out our own lease. Computed at once, without a lease (the write is still compare-and-set).
      computeAt(ownLeased, undefined),
      awaitLosers(),
    ]);
    return outcomes;
  }

  async #acquireLeases(keys: readonly UserKeys[], token: string, budget: StoreBudget): Promise<boolean[]> {
    try {
      return await budget.run('lease', () => this.#options.store.acquireLeases(keys, token, this.#leaseMs));
    } catch (error) {
      // No store, no coordination: every replica computes for itself, which is still correct, only costlier.
      this.#options.telemetry.storeError('lease');
      if (!(error instanceof StoreNotAttemptedError))
        this.#options.logger.warn({ err: error }, 'lease unavailable; computing without coordination');
      return keys.map(() => true);
    }
  }

  async #releaseLeases(keys: readonly UserKeys[], token: string, budget: StoreBudget): Promise<void> {
    try {
      await budget.run('lease', () => this.#options.store.releaseLeases(keys, token));
      for (const userKeys of keys) this.#ownLeases.delete(userKeys.lease);
    } catch {
      this.#options.telemetry.storeError('lease');
      // The leases lapse by themselves after leaseMs.
    }
  }

  async #awaitOthers(
    keys: readonly UserKeys[],
    version: string,
    budget: StoreBudget,
  ): Promise<Array<CacheEntry | undefined>> {
    const found: Array<CacheEntry | undefined> = keys.map(() => undefined);
    // Counted in polls rather than clock time, so the bound holds whatever clock the service was given.
    const polls = Math.max(1, Math.ceil(this.#leaseWaitMs / LEASE_POLL_MS));
    for (let poll = 0; poll < polls; poll += 1) {
      await delay(LEASE_POLL_MS);
      const missing = indicesWhere(
        found.map((entry) => entry !== undefined),
        false,
      );
      if (missing.length === 0) break;
      const read = await this.#read(
        missing.map((index) => keys[index] as UserKeys),
        budget,
      );
      // A store that cannot answer cannot show the other replica's write either: stop waiting for it.
      if (read.failed) break;
      const snapshots = read.snapshots;
      const now = this.#now();
      missing.forEach((index, position) => {
        const entry = snapshots[position]?.entry;
        if (entry?.modelVersion === version && classify(entry, now) === 'fresh') found[index] = entry;
      });
    }
    return found;
  }

  /** One model call for the whole batch, then one batched compare-and-set write. */
  async #computeAndWrite(
    userIds: readonly string[],
    keys: readonly UserKeys[],
    states: readonly UserState[],
    expectedVersion: string,
    leaseToken: string | undefined,
    budget: StoreBudget,
  ): Promise<Outcome[]> {
    const { model, store, telemetry, logger } = this.#options;
    const started = this.#now();
    let lists: Array<RankedList | Error>;
    try {
      lists = await model.scoreAndRank(userIds, this.#options.listSize);
      telemetry.modelCall('ok', this.#now() - started, userIds.length);
    } catch (error) {
      telemetry.modelCall('error', this.#now() - started, userIds.length);
      logger.warn({ err: error, users: userIds.length }, 'model call failed');
      if (leaseToken !== undefined) await this.#releaseLeases(keys, leaseToken, budget);
      return userIds.map(() => (error instanceof Error ? error : new Error(String(error))));
    }
    const finished = this.#now();
    const computeMs = Math.max(1, finished - started);

    const writes: EntryWrite[] = [];
    const outcomes = lists.map((list, index): Outcome => {
      if (list instanceof Error) return list;
      const state = states[index] as UserState;
      const items = quantiseItems(list.items);
      // Freshness hook: the drift seen against the replaced list, and the TTL it tunes (else the purchase-adaptive TTL).
      const verdict = this.#options.freshness?.drift.onRecompute(
        this.#take((keys[index] as UserKeys).entry),
        list.modelVersion,
        items,
        state,
        finished,
        this.#random,
      );
      const freshMs = verdict?.freshMs ?? freshTtlMs(this.#options.ttl, state, finished, this.#random);
      const entry: CacheEntry = {
        modelVersion: list.modelVersion,
        generatedAt: finished,
        freshUntil: finished + freshMs,
        staleUntil: finished + freshMs + (verdict?.graceMs ?? this.#options.graceMs),
        computeMs,
        items,
        ...(verdict?.drift === undefined ? {} : { drift: verdict.drift }),
      };
      // The list is stored under the version that computed it, never the one we asked for.
      const target =
        list.modelVersion === expectedVersion
          ? (keys[index] as UserKeys)
          : userKeys(this.#options.keyPrefix, list.userId, list.modelVersion);
      writes.push({
        keys: target,
        entry,
        ttlMs: freshMs + this.#options.graceMs,
        expectedGeneration: state.generation,
        leaseToken,
      });
      return { entry, source: 'MODEL' };
    });

    try {
      const written = await budget.run('write', () => store.writeMany(writes));
      // A refused write gave its lease back. A written one keeps it until it lapses, but it no longer marks a list
      // nobody computes: a later reader of this process refused by it reads the written list like any other replica.
      if (leaseToken !== undefined) for (const write of writes) this.#ownLeases.delete(write.keys.lease);
      const refused = written.filter((ok) => !ok).length;
      if (refused > 0) telemetry.writeRefused(refused);
    } catch (error) {
      telemetry.storeError('write');
      if (!(error instanceof StoreNotAttemptedError))
        logger.warn({ err: error }, 'cache write failed; lists served uncached');
    }
    return outcomes;
  }

  // Freshness hooks: which entry a background recompute replaces. Bounded by the recomputes in flight: each key is
  // forgotten when its recompute settles, whether or not it got to build a successor.

  #remember(keys: UserKeys, entry: CacheEntry | undefined): [string, CacheEntry | undefined] {
    if (entry !== undefined) this.#replacing.set(keys.entry, entry);
    return [keys.entry, entry];
  }

  #forget(key: string, entry: CacheEntry | undefined): void {
    if (entry !== undefined && this.#replacing.get(key) === entry) this.#replacing.delete(key);
  }

  #take(key: string): CacheEntry | undefined {
    const entry = this.#replacing.get(key);
    if (entry !== undefined) this.#replacing.delete(key);
    return entry;
  }
}

// Private: serving.

async function admit(options: LoadOptions, count: number): Promise<Error | undefined> {
  if (options.admitComputes === undefined) return undefined;
  try {
    await options.admitComputes(count);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Served items of lists nobody bought from, by the cached list they came from: an entry the memory store hands out
 * again and again is ranked once, not on every hit (100 objects per read otherwise, the largest allocation on the hit
 * path). Weak, so it never keeps an entry alive; served items are never mutated.
 */
const rankedOnce = new WeakMap<CacheEntry['items'], readonly ServedItem[]>();

/** Filters bought items out (they are never shown again, even from an older list) and renumbers ranks. */
function serve(userId: string, computed: Computed, state: UserState, servedAt: number): ServedList {
  const source = computed.entry.items;
  let items = state.bought.length === 0 ? rankedOnce.get(source) : undefined;
  if (items === undefined) {
    const bought = state.bought.length === 0 ? undefined : new Set(state.bought.map((purchase) => purchase.itemId));
    const ranked: ServedItem[] = [];
    for (const item of source) {
      if (bought?.has(item.itemId)) continue;
      ranked.push({ rank: ranked.length + 1, score: item.score, itemId: item.itemId });
    }
    if (bought === undefined) rankedOnce.set(source, ranked);
    items = ranked;
  }
  return {
    userId,
    modelVersion: computed.entry.modelVersion,
    generatedAt: new Date(computed.entry.generatedAt),
    ageSeconds: Math.max(0, (servedAt - computed.entry.generatedAt) / 1000),
    freshForSeconds: (computed.entry.freshUntil - servedAt) / 1000,
    source: computed.source,
    items,
  };
}

function sameVersion(entry: CacheEntry | undefined, version: string): CacheEntry | undefined {
  return entry?.modelVersion === version ? entry : undefined;
}

/** The user's state with the purchases this replica holds but the store has not taken yet, for filtering. */
function withPending(state: UserState, pending: readonly string[] | undefined, at: number): UserState {
  if (pending === undefined || pending.length === 0) return state;
  return { ...state, bought: [...state.bought, ...pending.map((itemId) => ({ itemId, at }))] };
}

function indicesWhere(flags: readonly boolean[], wanted: boolean): number[] {
  const indices: number[] = [];
  flags.forEach((flag, index) => {
    if (flag === wanted) indices.push(index);
  });
  return indices;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
