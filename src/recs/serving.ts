import type { CacheEntry, UserState } from '../cache/cache-entry.js';
import type { ServedSource } from '../telemetry/events.js';
import type { ServedItem, ServedList } from './served-list.js';

/**
 * Turns a stored or computed list into what a request is served: bought items filtered out (they are never shown
 * again, even from an older list), ranks renumbered, ages taken at serve time.
 *
 * Served items of lists nobody bought from are memoised by the cached list they came from: an entry the memory store
 * hands out again and again is ranked once, not on every hit (100 objects per read otherwise, the largest allocation
 * on the hit path). Weak, so it never keeps an entry alive; served items are never mutated. One memo per server.
 */
export class ListServer {
  readonly #rankedOnce = new WeakMap<CacheEntry['items'], readonly ServedItem[]>();

  serve(userId: string, entry: CacheEntry, source: ServedSource, state: UserState, servedAt: number): ServedList {
    const cached = entry.items;
    let items = state.bought.length === 0 ? this.#rankedOnce.get(cached) : undefined;
    if (items === undefined) {
      const bought = state.bought.length === 0 ? undefined : new Set(state.bought.map((purchase) => purchase.itemId));
      const ranked: ServedItem[] = [];
      for (const item of cached) {
        if (bought?.has(item.itemId)) continue;
        ranked.push({ rank: ranked.length + 1, score: item.score, itemId: item.itemId });
      }
      if (bought === undefined) this.#rankedOnce.set(cached, ranked);
      items = ranked;
    }
    return {
      userId,
      modelVersion: entry.modelVersion,
      generatedAt: new Date(entry.generatedAt),
      ageSeconds: Math.max(0, (servedAt - entry.generatedAt) / 1000),
      freshForSeconds: (entry.freshUntil - servedAt) / 1000,
      source,
      items,
    };
  }
}

/** The user's state with the purchases this replica holds but the store has not taken yet, for filtering. */
export function withPending(state: UserState, pending: readonly string[] | undefined, at: number): UserState {
  if (pending === undefined || pending.length === 0) return state;
  return { ...state, bought: [...state.bought, ...pending.map((itemId) => ({ itemId, at }))] };
}
