import { EMPTY_USER_STATE } from '../cache/cache-entry.js';
import type { CacheEntry, UserState } from '../cache/cache-entry.js';
import { userKeys } from '../cache/key-scheme.js';
import type { UserKeys } from '../cache/key-scheme.js';
import type { ServedSource } from '../telemetry/events.js';

/** A user's list as computed (or found) by a recompute, plus whether it may be served as MODEL or came from cache. */
export interface Computed {
  readonly entry: CacheEntry;
  readonly source: ServedSource;
}

/** What a recompute came to for one user: a list, or why there is none. */
export type Outcome = Computed | Error;

/**
 * One user's recompute, from start to answer: who, the keys it reads and writes, the state its compare-and-set write
 * expects, and (once known) the list to serve or the error it met. The recompute fills in `entry`/`source` or `error`.
 */
export interface Recompute {
  readonly userId: string;
  readonly keys: UserKeys;
  readonly state: UserState;
  /** The list to serve, once known: read from the cache, found after another replica's write, or computed. */
  entry: CacheEntry | undefined;
  source: ServedSource;
  /** Why the user has no list (the model failed, or another replica holds the lease of a background recompute). */
  error: Error | undefined;
}

/**
 * One user of a batch, carried through every stage of the read path: read, classified, admitted, recomputed, served.
 * Each stage fills in what it learns. A cache hit is this one record and nothing else.
 */
export interface UserLoad extends Recompute {
  /** As the store read it (empty when it could not). */
  state: UserState;
  /** The stored entry of the requested version, whatever its freshness: what a recompute of this user replaces. */
  stored: CacheEntry | undefined;
  /** Purchases this replica took for the user that the store has not taken yet (`purchases/purchase-outbox.ts`). */
  pending: readonly string[] | undefined;
  /** The answer as is, without a compute: the client's budget refused it, or too many uncharged computes ran. */
  refusal: Error | undefined;
}

/** The batch's records, before its read: one per user, in the order asked. */
export function userLoads(userIds: readonly string[], keyPrefix: string, version: string): UserLoad[] {
  return userIds.map((userId): UserLoad => ({
    userId,
    keys: userKeys(keyPrefix, userId, version),
    state: EMPTY_USER_STATE,
    stored: undefined,
    pending: undefined,
    entry: undefined,
    source: 'CACHE',
    error: undefined,
    refusal: undefined,
  }));
}

export function keysOf(target: Recompute): UserKeys {
  return target.keys;
}

/** A fresh recompute record for a user whose own answer is already settled (a background refresh). */
export function recomputeOf(load: UserLoad): Recompute {
  return {
    userId: load.userId,
    keys: load.keys,
    state: load.state,
    entry: undefined,
    source: 'MODEL',
    error: undefined,
  };
}

export function settle(target: Recompute, outcome: Outcome): void {
  if (outcome instanceof Error) target.error = outcome;
  else {
    target.entry = outcome.entry;
    target.source = outcome.source;
  }
}

/** The outcome a settled recompute came to (one not settled counts as failed). */
export function outcomeOf(target: Recompute): Outcome {
  if (target.entry !== undefined) return { entry: target.entry, source: target.source };
  return target.error ?? new Error('recompute did not settle');
}
