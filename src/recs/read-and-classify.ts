import { EMPTY_USER_STATE } from '../cache/cache-entry.js';
import type { CacheStore, UserSnapshot } from '../cache/cache-store.js';
import { classify, shouldRefreshEarly } from '../cache/freshness.js';
import type { UserKeys } from '../cache/key-scheme.js';
import type { StoreBudget } from '../cache/store-budget.js';
import { StoreNotAttemptedError } from '../errors.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import type { UserLoad } from './user-load.js';

export interface BatchReaderOptions {
  readonly store: Pick<CacheStore, 'readMany'>;
  /** XFetch's beta; 0 turns early refresh off. */
  readonly earlyRefreshBeta: number;
  readonly pendingPurchases?: { itemsFor(userId: string): readonly string[] | undefined };
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random: () => number;
}

/** What one store read (or its failure) returned. */
export interface StoreRead {
  readonly snapshots: readonly UserSnapshot[];
  /** The store could not answer: every miss of this read is the store's doing, not the client's. */
  readonly failed: boolean;
}

/** A batch after its read, sorted by what each user needs next. */
export interface ClassifiedBatch {
  /** Served from cache now and recomputed off the request path: stale lists, and fresh ones refreshed early. */
  readonly toRefresh: readonly UserLoad[];
  /** Nothing servable (expired, missing, or held back by a pending purchase): computed before answering. */
  readonly toCompute: readonly UserLoad[];
  readonly storeFailed: boolean;
}

/**
 * The first stage of the read path: one store round trip for the whole batch (`read`), then each user classified with
 * the pure rules of `cache/freshness.ts` (`classify`: fresh → CACHE, stale → STALE and refresh, expired or missing →
 * compute). A store that fails reads as all misses.
 */
export class BatchReader {
  readonly #options: BatchReaderOptions;

  constructor(options: BatchReaderOptions) {
    this.#options = options;
  }

  /**
   * Classifies each user of a batch after its read, filling in its record: the state and stored entry read, the
   * purchases pending here, and for a fresh or stale list the entry to serve. Synchronous: a hit costs no more than
   * its record.
   */
  classify(loads: readonly UserLoad[], read: StoreRead, version: string): ClassifiedBatch {
    const { earlyRefreshBeta, pendingPurchases, telemetry, random } = this.#options;
    const now = this.#options.now();
    const toRefresh: UserLoad[] = [];
    const toCompute: UserLoad[] = [];
    let hits = 0;
    let stale = 0;
    loads.forEach((load, index) => {
      const snapshot = read.snapshots[index];
      load.state = snapshot?.state ?? EMPTY_USER_STATE;
      load.stored = snapshot?.entry?.modelVersion === version ? snapshot.entry : undefined;
      // A purchase this replica could not apply yet: the store may still hold the list from before it.
      load.pending = pendingPurchases?.itemsFor(load.userId);
      const entry = load.pending === undefined ? load.stored : undefined;
      switch (classify(entry, now)) {
        case 'fresh':
          hits += 1;
          load.entry = entry;
          if (entry !== undefined && shouldRefreshEarly(entry, now, earlyRefreshBeta, random)) toRefresh.push(load);
          break;
        case 'stale':
          stale += 1;
          load.entry = entry;
          load.source = 'STALE';
          toRefresh.push(load);
          break;
        case 'expired':
          toCompute.push(load);
          break;
      }
    });
    if (hits > 0) telemetry.cacheRead('hit', hits);
    if (stale > 0) telemetry.cacheRead('stale', stale);
    if (toCompute.length > 0) telemetry.cacheRead('miss', toCompute.length);
    return { toRefresh, toCompute, storeFailed: read.failed };
  }

  /** The snapshots, or empty ones when the store failed. */
  async read(keys: readonly UserKeys[], budget: StoreBudget): Promise<StoreRead> {
    try {
      return { snapshots: await budget.run('read', () => this.#options.store.readMany(keys)), failed: false };
    } catch (error) {
      this.#options.telemetry.storeError('read');
      if (!(error instanceof StoreNotAttemptedError))
        this.#options.logger.warn({ err: error }, 'cache read failed; answering from the model');
      return { snapshots: keys.map(() => ({ entry: undefined, state: EMPTY_USER_STATE })), failed: true };
    }
  }
}
