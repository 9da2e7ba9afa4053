/**
 * The read path's fixed tuning (not settings: operators have not needed to change them). The wiring in `app.ts`
 * passes them to the recommendation service and the store; the reasons live here, next to the values.
 */

/**
 * A recompute lease's lifetime: longer than a slow recompute (the model call, bounded by MODEL_TIMEOUT_MS at 2 s by
 * default, plus the write), so a live holder keeps it; short enough that a holder that dies blocks its key briefly.
 * The service also caps it at the shortest fresh TTL, so a lease lapses before its list can go stale.
 */
export const LEASE_MS = 10_000;

/**
 * With drift-tuned TTLs (FRESHNESS_TTL_TUNING), the share of FRESHNESS_TTL_MIN_SECONDS a lease may last: tuned TTLs
 * are jittered down by up to 10%, and a lease must still lapse before its list goes stale.
 */
export const LEASE_SHARE_OF_MIN_TUNED_TTL = 0.9;

/**
 * How long a request without a graced list waits for another replica's recompute before computing itself: about
 * one model call at MODEL_TIMEOUT_MS's default, so waiting never costs much more than computing would have.
 */
export const LEASE_WAIT_MS = 2_000;

/** XFetch's beta (early probabilistic refresh): 1 is the value the XFetch paper recommends; 0 turns it off. */
export const EARLY_REFRESH_BETA = 1;

/**
 * Recent purchases kept per user for serve-time filtering: a purchase also drops the list, so only the few bought
 * since its recompute matter; 50 leaves ample room and keeps the state one small Redis value.
 */
export const PURCHASES_REMEMBERED = 50;

/** How long a user's state (generation and purchases) lives after the last purchase: a month of inactivity. */
export const PURCHASE_STATE_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * SCAN's COUNT when purging a model version: large enough that a purge takes few round trips, small enough that
 * each step (and its UNLINKs) stays short and never stalls Redis for other clients.
 */
export const PURGE_SCAN_BATCH = 500;
