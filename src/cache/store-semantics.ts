import type { RecentPurchase, UserState } from './cache-entry.js';
import type { EntryWrite, PurchaseLimits } from './cache-store.js';
import { decodeOrder } from './entry-codec.js';
import type { OrderRecord } from './order-ledger.js';

/**
 * What each atomic store operation decides, as pure functions of what the store holds when it runs: the single
 * statement of the store's semantics. `memory-store.ts` calls these inside one synchronous step (JavaScript's
 * run-to-completion is its atomicity); each Lua script in `redis-scripts.ts` is a transcription of one of them (Redis
 * runs a script atomically) and names the function it mirrors. A change of rule is made here first, then in its
 * script; test/cache/store-contract.ts runs the same expectations against both drivers, so a script that drifts from
 * its function fails there.
 *
 * Absent values are `undefined`; a user state that is absent or unreadable is `EMPTY_USER_STATE` (generation 0).
 */

/** What a compare-and-set write does: write the entry, or refuse it; a refused write may give its lease back. */
export interface WriteDecision {
  readonly written: boolean;
  /** Delete the lease key (it is held by this write's token, and the write was refused). */
  readonly releaseLease: boolean;
}

/**
 * The compare-and-set write (script COMPARE_AND_SET_ENTRY). Written only while the user's generation is the one the
 * recompute read; a refused write gives back its lease at once (the recompute after the purchase may start), a
 * successful one keeps it until it lapses (a replica that missed just before the write reads the new list instead of
 * computing it again).
 */
export function decideWrite(
  state: UserState,
  leaseHolder: string | undefined,
  write: Pick<EntryWrite, 'expectedGeneration' | 'leaseToken'>,
): WriteDecision {
  if (state.generation === write.expectedGeneration) return { written: true, releaseLease: false };
  return { written: false, releaseLease: mayReleaseLease(leaseHolder, write.leaseToken) };
}

/**
 * The purchase update (script RECORD_PURCHASE): the next state of the user. The generation is bumped (in-flight
 * recomputes can no longer write back), the item goes to the front of the remembered purchases (a repeat moves it
 * there rather than listing it twice), and the list is cut to `maxRemembered`. The same step deletes the user's list
 * and lease of the version and keeps the state for `stateTtlMs`.
 */
export function stateAfterPurchase(state: UserState, purchase: RecentPurchase, limits: PurchaseLimits): UserState {
  const others = state.bought.filter((earlier) => earlier.itemId !== purchase.itemId);
  return {
    generation: state.generation + 1,
    bought: [purchase, ...others].slice(0, Math.max(0, limits.maxRemembered)),
  };
}

/** Taking a lease (`SET NX PX`): only a lease nobody holds can be taken, not even again by its holder. */
export function mayTakeLease(leaseHolder: string | undefined): boolean {
  return leaseHolder === undefined;
}

/**
 * Giving a lease back (script RELEASE_LEASE, and the refused branch of COMPARE_AND_SET_ENTRY): only by the token that
 * holds it. A lease that lapsed and was taken by another replica is not the caller's to delete.
 */
export function mayReleaseLease(leaseHolder: string | undefined, token: string | undefined): boolean {
  return token !== undefined && token !== '' && leaseHolder === token;
}

/**
 * Claiming an order id (script CLAIM_ORDER): claimed when no record is stored (the caller's is then written),
 * otherwise the stored record, left as it is.
 */
export function claimOutcome(
  stored: string | undefined,
): { claimed: true } | { claimed: false; existing: OrderRecord } {
  return stored === undefined ? { claimed: true } : { claimed: false, existing: storedOrder(stored) };
}

/**
 * A stored order record as the ledger reports it. An unreadable record still means the id is taken: it is reported
 * as belonging to nobody, which the purchase service answers as a conflict.
 */
export function storedOrder(raw: string): OrderRecord {
  return decodeOrder(raw) ?? { userId: '', itemId: '', status: 'done', invalidated: false };
}
