import type { CacheStore, EntryWrite } from '../cache/cache-store.js';
import { userKeys } from '../cache/key-scheme.js';
import type { UserKeys } from '../cache/key-scheme.js';
import { quantiseItems } from '../cache/packed-entry.js';
import type { StoreBudget } from '../cache/store-budget.js';
import { StoreNotAttemptedError } from '../errors.js';
import type { FreshnessHooks } from '../freshness/hooks.js';
import type { Model, RankedList } from '../model/model.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import { buildEntryWrite } from './entry-builder.js';
import type { EntryPolicy } from './entry-builder.js';
import type { ReplacedEntries } from './replaced-entries.js';
import { settle } from './user-load.js';
import type { Recompute } from './user-load.js';

export interface ListComputerOptions extends EntryPolicy {
  readonly store: Pick<CacheStore, 'writeMany'>;
  readonly model: Model;
  readonly keyPrefix: string;
  /** How many ranked items a cached list holds. */
  readonly listSize: number;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly freshness?: FreshnessHooks;
  readonly replaced: ReplacedEntries;
  readonly now: () => number;
  readonly random: () => number;
}

/** How a compute went, for the lease holder's bookkeeping. */
export type ComputeReport =
  | { readonly kind: 'model-failed' }
  /** `written`: the keys of the writes the store answered (taken or refused); empty when it did not answer. */
  | { readonly kind: 'computed'; readonly written: readonly UserKeys[] };

/**
 * One model call for a group of users, then one batched compare-and-set write of their lists (refused for a user
 * whose generation a purchase bumped meanwhile). Settles every recompute of the group: a MODEL list, or the model's
 * error. A write the store cannot take only costs the cache: the lists are served anyway.
 */
export class ListComputer {
  readonly #options: ListComputerOptions;

  constructor(options: ListComputerOptions) {
    this.#options = options;
  }

  async computeAndWrite(
    group: readonly Recompute[],
    expectedVersion: string,
    leaseToken: string | undefined,
    budget: StoreBudget,
  ): Promise<ComputeReport> {
    const { model, store, telemetry, logger, now } = this.#options;
    const userIds = group.map((target) => target.userId);
    const started = now();
    let lists: Array<RankedList | Error>;
    try {
      lists = await model.scoreAndRank(userIds, this.#options.listSize);
      telemetry.modelCall('ok', now() - started, userIds.length);
    } catch (error) {
      telemetry.modelCall('error', now() - started, userIds.length);
      logger.warn({ err: error, users: userIds.length }, 'model call failed');
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const target of group) target.error = failure;
      return { kind: 'model-failed' };
    }
    const finishedAt = now();
    const computeMs = Math.max(1, finishedAt - started);

    const writes: EntryWrite[] = [];
    group.forEach((target, index) => {
      const list = lists[index];
      if (list === undefined || list instanceof Error) {
        target.error = list ?? new Error('the model returned no list for this user');
        return;
      }
      const write = this.#writeOf(target, list, expectedVersion, finishedAt, computeMs, leaseToken);
      writes.push(write);
      settle(target, { entry: write.entry, source: 'MODEL' });
    });

    try {
      const written = await budget.run('write', () => store.writeMany(writes));
      const refused = written.filter((ok) => !ok).length;
      if (refused > 0) telemetry.writeRefused(refused);
      return { kind: 'computed', written: writes.map((write) => write.keys) };
    } catch (error) {
      telemetry.storeError('write');
      if (!(error instanceof StoreNotAttemptedError))
        logger.warn({ err: error }, 'cache write failed; lists served uncached');
      return { kind: 'computed', written: [] };
    }
  }

  #writeOf(
    target: Recompute,
    list: RankedList,
    expectedVersion: string,
    finishedAt: number,
    computeMs: number,
    leaseToken: string | undefined,
  ): EntryWrite {
    const { state } = target;
    const items = quantiseItems(list.items);
    // Freshness hook: the drift seen against the replaced list, and the TTL it tunes (else the purchase-adaptive TTL).
    const verdict = this.#options.freshness?.drift.onRecompute(
      this.#options.replaced.take(target.keys.entry),
      list.modelVersion,
      items,
      state,
      finishedAt,
      this.#options.random,
    );
    // The list is stored under the version that computed it, never the one we asked for.
    const keys =
      list.modelVersion === expectedVersion
        ? target.keys
        : userKeys(this.#options.keyPrefix, list.userId, list.modelVersion);
    return buildEntryWrite(
      { list, items, state, finishedAt, computeMs },
      keys,
      leaseToken,
      this.#options,
      this.#options.random,
      verdict,
    );
  }
}
