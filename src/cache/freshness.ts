import type { CacheEntry } from './cache-entry.js';

/**
 * Freshness decisions, pure: given an entry and the time, what may be served and whether to recompute.
 *
 *   fresh:   now < freshUntil                  serve as CACHE
 *   stale:   freshUntil <= now < staleUntil    serve as STALE at once, recompute in the background
 *                                              (stale-while-revalidate and stale-if-error, RFC 5861)
 *   expired: staleUntil <= now, or no entry   compute before answering
 */
export type Freshness = 'fresh' | 'stale' | 'expired';

export function classify(entry: CacheEntry | undefined, now: number): Freshness {
  if (entry === undefined || now >= entry.staleUntil) return 'expired';
  return now < entry.freshUntil ? 'fresh' : 'stale';
}

/**
 * Probabilistic early refresh (XFetch: Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
 * Prevention", VLDB 2015): refresh a fresh entry early when `now - delta * beta * ln(rand) >= expiry`. The chance
 * rises as expiry nears and with how long a recompute takes, so a hot user is refreshed before the TTL lapses and
 * never meets a miss, while a cold user is almost never refreshed early.
 *
 * `random` must return a number in (0, 1]; it is a parameter so tests can fix it.
 */
export function shouldRefreshEarly(entry: CacheEntry, now: number, beta: number, random: () => number): boolean {
  if (beta <= 0) return false;
  const delta = Math.max(entry.computeMs, 1);
  const sample = Math.max(random(), Number.MIN_VALUE);
  return now - delta * beta * Math.log(sample) >= entry.freshUntil;
}
