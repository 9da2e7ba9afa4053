import { randomUUID } from 'node:crypto';
import type { CacheStore } from '../cache/cache-store.js';
import { classify } from '../cache/freshness.js';
import type { UserKeys } from '../cache/key-scheme.js';
import type { StoreBudget } from '../cache/store-budget.js';
import { StoreNotAttemptedError } from '../errors.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import type { Clock } from './clock.js';
import type { ListComputer } from './list-computer.js';
import type { BatchReader } from './read-and-classify.js';
import { outcomeOf, settle } from './user-load.js';
import type { Outcome, Recompute } from './user-load.js';

export interface RecomputeCoordinatorOptions {
  readonly store: Pick<CacheStore, 'acquireLeases' | 'releaseLeases'>;
  readonly reader: Pick<BatchReader, 'read'>;
  readonly lists: Pick<ListComputer, 'computeAndWrite'>;
  /** How long a recompute lease lasts (already bounded by the shortest fresh TTL). */
  readonly leaseMs: number;
  /** How long a foreground reader waits on another replica's lease before computing itself. */
  readonly leaseWaitMs: number;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** A foreground recompute waits for its answer (another replica's write, or its own compute); a background one does not. */
export type RecomputeMode = 'foreground' | 'background';

/** How often a reader refused a lease looks for the holder's write. */
export const LEASE_POLL_MS = 20;
const OWN_LEASES_PRUNE_AT = 1_000;

/**
 * One recompute per list at a time, at two levels:
 *
 * - in this process, coalescing: a user already being recomputed here joins that recompute (saves the lease's round
 *   trip when the same process asks twice);
 * - across replicas, leases in the store: the winner computes and writes; a foreground loser polls for that write
 *   (every `LEASE_POLL_MS`, for at most `leaseWaitMs`, on the injected clock) and computes itself when it does not
 *   come; a background loser gives up at once, someone is already on it.
 *
 * No store, no coordination: every replica then computes for itself, which is still correct, only costlier.
 */
export class RecomputeCoordinator {
  readonly #options: RecomputeCoordinatorOptions;
  /** In-process coalescing: the recompute in flight per entry key. */
  readonly #inflight = new Map<string, Promise<Outcome>>();
  /**
   * Leases this process took and has not seen given back (by its write or release), with when they lapse. A reader
   * refused one of these is refused by its own process, which is not computing the list (that would be in
   * `#inflight`): typically a write the store did not take. It computes at once instead of waiting on itself.
   */
  readonly #ownLeases = new Map<string, number>();

  constructor(options: RecomputeCoordinatorOptions) {
    this.#options = options;
  }

  /**
   * Recomputes the lists of these users and settles each one. Background recomputes never reject and never wait on
   * another replica's lease.
   */
  async recompute(
    targets: readonly Recompute[],
    version: string,
    mode: RecomputeMode,
    budget: StoreBudget,
  ): Promise<void> {
    if (targets.length === 0) return;
    const waits: Array<Promise<unknown>> = [];
    const fresh: Recompute[] = [];
    for (const target of targets) {
      const joined = this.#inflight.get(target.keys.entry);
      if (joined === undefined) fresh.push(target);
      else waits.push(joined.then((outcome) => settle(target, outcome)));
    }
    if (fresh.length > 0) {
      const batch = this.#computeLeased(fresh, version, mode, budget);
      for (const target of fresh) {
        const key = target.keys.entry;
        const promise = batch.then(() => outcomeOf(target));
        this.#inflight.set(key, promise);
        void promise.finally(() => {
          if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
        });
      }
      waits.push(batch);
    }
    await Promise.all(waits);
  }

  /** A recompute started before a purchase must not be shared with readers that arrive after it. */
  forget(keys: UserKeys): void {
    this.#inflight.delete(keys.entry);
  }

  async #computeLeased(
    targets: readonly Recompute[],
    version: string,
    mode: RecomputeMode,
    budget: StoreBudget,
  ): Promise<void> {
    const token = randomUUID();
    const granted = await this.#acquireLeases(
      targets.map((target) => target.keys),
      token,
      budget,
    );
    const now = this.#options.clock.now();
    const winners: Recompute[] = [];
    const ownLeased: Recompute[] = [];
    const losers: Recompute[] = [];
    targets.forEach((target, index) => {
      const { lease } = target.keys;
      if (granted[index] === true) {
        winners.push(target);
        this.#ownLeases.set(lease, now + this.#options.leaseMs);
      } else if ((this.#ownLeases.get(lease) ?? 0) > now) ownLeased.push(target);
      else losers.push(target);
    });
    this.#pruneOwnLeases(now);

    await Promise.all([
      this.#compute(winners, version, token, budget),
      // Refused by our own lease: nobody is computing these (it would be in `#inflight`), so waiting would only wait
      // out our own lease. Computed at once, without a lease (the write is still compare-and-set).
      this.#compute(ownLeased, version, undefined, budget),
      this.#awaitLosers(losers, version, mode, budget),
    ]);
  }

  /** Computes a group (holding `leaseToken`, if any), then gives the leases back or forgets them as the compute went. */
  async #compute(
    group: readonly Recompute[],
    version: string,
    leaseToken: string | undefined,
    budget: StoreBudget,
  ): Promise<void> {
    if (group.length === 0) return;
    const report = await this.#options.lists.computeAndWrite(group, version, leaseToken, budget);
    if (leaseToken === undefined) return;
    if (report.kind === 'model-failed')
      await this.#releaseLeases(
        group.map((target) => target.keys),
        leaseToken,
        budget,
      );
    // A refused write gave its lease back. A written one keeps it until it lapses, but it no longer marks a list
    // nobody computes: a later reader of this process refused by it reads the written list like any other replica.
    else for (const keys of report.written) this.#ownLeases.delete(keys.lease);
  }

  async #awaitLosers(
    losers: readonly Recompute[],
    version: string,
    mode: RecomputeMode,
    budget: StoreBudget,
  ): Promise<void> {
    if (losers.length === 0) return;
    if (mode === 'background') {
      for (const target of losers) target.error = new Error('another replica holds the lease');
      return;
    }
    // Someone else is computing these users: wait for their write rather than computing the same lists again.
    const stillMissing = await this.#awaitOthers(losers, version, budget);
    // The holder is slow or died: its lease will lapse; this request computes rather than wait that long.
    await this.#compute(stillMissing, version, undefined, budget);
  }

  /** Polls for the lease holders' writes; settles those found, and returns the recomputes still without a list. */
  async #awaitOthers(
    losers: readonly Recompute[],
    version: string,
    budget: StoreBudget,
  ): Promise<readonly Recompute[]> {
    const { clock, reader } = this.#options;
    let missing = losers;
    // Counted in polls rather than clock time, so the bound holds whatever clock the service was given.
    const polls = Math.max(1, Math.ceil(this.#options.leaseWaitMs / LEASE_POLL_MS));
    for (let poll = 0; poll < polls; poll += 1) {
      await clock.sleep(LEASE_POLL_MS);
      if (missing.length === 0) break;
      const read = await reader.read(
        missing.map((target) => target.keys),
        budget,
      );
      // A store that cannot answer cannot show the other replica's write either: stop waiting for it.
      if (read.failed) break;
      const now = clock.now();
      missing = missing.filter((target, index) => {
        const entry = read.snapshots[index]?.entry;
        if (entry?.modelVersion !== version || classify(entry, now) !== 'fresh') return true;
        settle(target, { entry, source: 'CACHE' });
        return false;
      });
    }
    return missing;
  }

  /** Forgets own leases that have lapsed; cheap, and only when the map has grown (store trouble). */
  #pruneOwnLeases(now: number): void {
    if (this.#ownLeases.size < OWN_LEASES_PRUNE_AT) return;
    for (const [lease, lapsesAt] of this.#ownLeases) if (lapsesAt <= now) this.#ownLeases.delete(lease);
  }

  async #acquireLeases(keys: readonly UserKeys[], token: string, budget: StoreBudget): Promise<boolean[]> {
    try {
      return await budget.run('lease', () => this.#options.store.acquireLeases(keys, token, this.#options.leaseMs));
    } catch (error) {
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
}
