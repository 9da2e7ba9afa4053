import type { CacheEntry, UserState } from '../cache/cache-entry.js';
import type { EntryWrite } from '../cache/cache-store.js';
import type { UserKeys } from '../cache/key-scheme.js';
import { freshTtlMs } from '../cache/ttl-policy.js';
import type { TtlPolicy } from '../cache/ttl-policy.js';
import type { DriftEstimate } from '../cache/drift-estimator.js';
import type { RankedItem, RankedList } from '../model/model.js';

/** The freshness rules every writer of lists follows (the gateway and the cutover warm-up alike). */
export interface EntryPolicy {
  readonly ttl: TtlPolicy;
  /** How long past its TTL a list may be served as STALE; also how long the store keeps it past its TTL. */
  readonly graceMs: number;
}

/** A freshness verdict that overrides the policy for one list (the drift tracker's, when TTL tuning is on). */
export interface EntryVerdict {
  readonly drift: DriftEstimate | undefined;
  readonly freshMs: number;
  readonly graceMs: number;
}

export interface ComputedList {
  readonly list: RankedList;
  /** The list's items as stored: quantised (`quantiseItems`). */
  readonly items: readonly RankedItem[];
  /** The user's state when the computation began: its generation guards the write, its purchases shorten the TTL. */
  readonly state: UserState;
  readonly finishedAt: number;
  readonly computeMs: number;
}

/**
 * The compare-and-set write of a freshly computed list: the entry (its TTL from the verdict when given, else from the
 * purchase-adaptive policy), the physical TTL (TTL plus the configured grace), and the generation it expects.
 */
export function buildEntryWrite(
  computed: ComputedList,
  keys: UserKeys,
  leaseToken: string | undefined,
  policy: EntryPolicy,
  random: () => number,
  verdict: EntryVerdict | undefined,
): EntryWrite {
  const { list, state, finishedAt } = computed;
  const freshMs = verdict?.freshMs ?? freshTtlMs(policy.ttl, state, finishedAt, random);
  const entry: CacheEntry = {
    modelVersion: list.modelVersion,
    generatedAt: finishedAt,
    freshUntil: finishedAt + freshMs,
    staleUntil: finishedAt + freshMs + (verdict?.graceMs ?? policy.graceMs),
    computeMs: computed.computeMs,
    items: computed.items,
    ...(verdict?.drift === undefined ? {} : { drift: verdict.drift }),
  };
  return { keys, entry, ttlMs: freshMs + policy.graceMs, expectedGeneration: state.generation, leaseToken };
}
