import { EMPTY_USER_STATE } from '../cache/cache-entry.js';
import type { CacheStore, EntryWrite } from '../cache/cache-store.js';
import { classify } from '../cache/freshness.js';
import { userKeys } from '../cache/key-scheme.js';
import type { UserKeys } from '../cache/key-scheme.js';
import { quantiseItems } from '../cache/packed-entry.js';
import type { TtlPolicy } from '../cache/ttl-policy.js';
import type { Model, RankedList } from '../model/model.js';
import type { Telemetry } from '../telemetry/events.js';
import type { ActiveUsersLog } from './active-users.js';
import { buildEntryWrite } from './entry-builder.js';

export interface WarmUpOptions {
  readonly store: CacheStore;
  readonly activeUsers: ActiveUsersLog;
  /** A model answering as the NEW version (e.g. an HttpModel on the new model server, after `init()`). */
  readonly model: Model;
  readonly keyPrefix: string;
  /** How many of the most recently active users to warm. */
  readonly users: number;
  /** Upper bound on users scored per second, so warming never crowds out the live model's traffic. */
  readonly ratePerSecond: number;
  /** Users per model call. */
  readonly batchSize: number;
  /** Same freshness rules as the gateway: warmed entries are ordinary entries. */
  readonly ttl: TtlPolicy;
  readonly graceMs: number;
  readonly listSize: number;
  readonly onProgress?: (progress: WarmUpProgress) => void;
  /** Told `done` of `total` after every batch (the `recs_warmup_*` gauges, when run inside a process with metrics). */
  readonly telemetry?: Pick<Telemetry, 'warmupProgress'>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface WarmUpProgress {
  /** The version being warmed: the model's `currentVersion()` when the warm-up began. */
  readonly version: string;
  /** Users selected (at most `users`; fewer if fewer were active). */
  readonly total: number;
  /** Users dealt with so far, whatever the outcome. */
  readonly done: number;
  readonly written: number;
  /** Already held a fresh entry of this version (a gateway switched early, or a previous warm-up run). */
  readonly alreadyWarm: number;
  /** Not written because a purchase bumped the user's generation while the list was computed. */
  readonly refused: number;
  /** The model or the store failed for them; a later read computes them as usual. */
  readonly failed: number;
  /** The model answered with another version than the one being warmed: not written here. */
  readonly otherVersion: number;
  readonly elapsedMs: number;
}

/**
 * Cutover warm-up: precompute a new model version's lists for the most recently active users, before that version
 * becomes active, so the cold-namespace cost of a retrain (every read a miss, every miss a model call) is paid off the
 * request path.
 *
 *   most recent N users → [rate limit] → batch: read (skip fresh) → score with the new model → compare-and-set write
 *
 * Entries are written exactly as the gateway writes them (same key scheme, TTL policy and grace, and the same
 * generation check, so a purchase during the warm-up is never overwritten by a list computed before it), under the
 * version that computed them. Warming only ever adds entries to the new namespace: the gateways keep serving the old
 * one until they learn the new version, which is the operator's switch. Batches run one after another; the rate
 * limit spaces their starts so the users scored per second stay under `ratePerSecond`.
 */
export async function warmUp(options: WarmUpOptions): Promise<WarmUpProgress> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  assertPositive(options.users, 'users');
  assertPositive(options.ratePerSecond, 'ratePerSecond');
  assertPositive(options.batchSize, 'batchSize');

  const started = now();
  const version = options.model.currentVersion();
  const userIds = await options.activeUsers.mostRecent(options.users);
  let progress: WarmUpProgress = {
    version,
    total: userIds.length,
    done: 0,
    written: 0,
    alreadyWarm: 0,
    refused: 0,
    failed: 0,
    otherVersion: 0,
    elapsedMs: 0,
  };
  options.telemetry?.warmupProgress(0, userIds.length);

  for (let offset = 0; offset < userIds.length; offset += options.batchSize) {
    // Token-bucket-free rate limit: batch k may start once the users before it fit under the rate.
    const due = started + (offset / options.ratePerSecond) * 1000;
    const wait = due - now();
    if (wait > 0) await sleep(wait);

    const batch = userIds.slice(offset, offset + options.batchSize);
    const counts = await warmBatch(options, batch, version, now, random);
    progress = {
      ...progress,
      done: progress.done + batch.length,
      written: progress.written + counts.written,
      alreadyWarm: progress.alreadyWarm + counts.alreadyWarm,
      refused: progress.refused + counts.refused,
      failed: progress.failed + counts.failed,
      otherVersion: progress.otherVersion + counts.otherVersion,
      elapsedMs: now() - started,
    };
    options.onProgress?.(progress);
    options.telemetry?.warmupProgress(progress.done, progress.total);
  }
  return { ...progress, elapsedMs: now() - started };
}

interface BatchCounts {
  written: number;
  alreadyWarm: number;
  refused: number;
  failed: number;
  otherVersion: number;
}

async function warmBatch(
  options: WarmUpOptions,
  batch: readonly string[],
  version: string,
  now: () => number,
  random: () => number,
): Promise<BatchCounts> {
  const counts: BatchCounts = { written: 0, alreadyWarm: 0, refused: 0, failed: 0, otherVersion: 0 };
  const keys = batch.map((userId) => userKeys(options.keyPrefix, userId, version));
  let snapshots;
  try {
    snapshots = await options.store.readMany(keys);
  } catch {
    counts.failed = batch.length;
    return counts;
  }
  const readAt = now();
  const todo = batch.flatMap((_, index) => {
    const entry = snapshots[index]?.entry;
    if (entry?.modelVersion === version && classify(entry, readAt) === 'fresh') {
      counts.alreadyWarm += 1;
      return [];
    }
    return [index];
  });
  if (todo.length === 0) return counts;

  let lists: Array<RankedList | Error>;
  const modelStarted = now();
  try {
    lists = await options.model.scoreAndRank(
      todo.map((index) => batch[index] as string),
      options.listSize,
    );
  } catch {
    counts.failed += todo.length;
    return counts;
  }

  const finished = now();
  const writes: EntryWrite[] = [];
  lists.forEach((list, position) => {
    const index = todo[position] as number;
    if (list instanceof Error) {
      counts.failed += 1;
      return;
    }
    if (list.modelVersion !== version) {
      counts.otherVersion += 1;
      return;
    }
    const state = snapshots[index]?.state ?? EMPTY_USER_STATE;
    const computed = {
      list,
      items: quantiseItems(list.items),
      state,
      finishedAt: finished,
      computeMs: Math.max(1, finished - modelStarted),
    };
    writes.push(buildEntryWrite(computed, keys[index] as UserKeys, undefined, options, random, undefined));
  });
  try {
    const written = await options.store.writeMany(writes);
    for (const ok of written) {
      if (ok) counts.written += 1;
      else counts.refused += 1;
    }
  } catch {
    counts.failed += writes.length;
  }
  return counts;
}

function assertPositive(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`warmUp ${name} must be a positive integer, but got: ${value}`);
  }
}
