import type { CatalogItem } from '../model/catalog-item.js';
import type { ServedItem, ServedList } from '../recs/served-list.js';
import type { CatalogLookup } from './context.js';

/**
 * A `RecommendedItem` as the executors read it: `item` already looked up in the catalogue, or, for an id the
 * catalogue does not know (a model/catalogue mismatch), the Error both executors report as that field's error
 * (message, path and locations as if a resolver had thrown it; test/graphql/executor-parity.test.ts pins it).
 */
export interface RecommendedItemView {
  readonly rank: number;
  readonly score: number;
  readonly item: CatalogItem | Error;
}

/** A `RecommendationList` as the executors read it: a served list cut to `first` items, each with its item. */
export interface RecommendationListView extends Omit<ServedList, 'items'> {
  /** The view's identity for client caches: one user, one `first` (see `listViewId`). */
  readonly id: string;
  readonly items: readonly RecommendedItemView[];
}

/**
 * `RecommendationList.id`: the user and the `first` asked for, not the list's content, so a later answer for the
 * same view (a re-read, or the list a purchase returns) replaces the one a client cached, and a `first: 5` view never
 * overwrites a `first: 20` one. `/` cannot occur in an id (`input-validation.ts`), so the pair is unambiguous.
 */
export function listViewId(userId: string, first: number): string {
  return `${userId}/${first}`;
}

/** The user and `first` a `listViewId` was made of; undefined for anything else. */
export function parseListViewId(id: unknown): { readonly userId: string; readonly first: number } | undefined {
  if (typeof id !== 'string') return undefined;
  const slash = id.lastIndexOf('/');
  if (slash === -1) return undefined;
  return { userId: id.slice(0, slash), first: Number(id.slice(slash + 1)) };
}

/**
 * The list as served to GraphQL, with at most `first` items. Why not an `item` resolver: it ran for every item of
 * every list, and the compiled executor builds a resolve-info object, a path and three closures for each call, which
 * made it the largest allocation of a cache hit. Here it is one small object per item.
 *
 * The items are built once per served items array (which the service itself builds once per cached list nobody
 * bought from) and `first`: a hot user's hit then costs no catalogue lookups and no item objects (measured: the
 * lookups alone were ~3% of a hit's profile). The list's own fields (age, source, freshness) are copied on every
 * call, so nothing a request decides is shared with another one.
 */
export function listView(list: ServedList, first: number, catalog: CatalogLookup): RecommendationListView {
  return { ...list, id: listViewId(list.userId, first), items: itemViews(list.items, first, catalog) };
}

interface MemoisedViews {
  readonly catalog: CatalogLookup;
  /** By item count (`first` cut to the list's length): clients asking different `first`s each keep theirs. */
  readonly byCount: Map<number, readonly RecommendedItemView[]>;
}

/** Item counts memoised per served items array; past it the memo starts over (clients use a few `first`s each). */
const COUNTS_KEPT = 4;

/**
 * Item views by the served items they were built from. Weak, so it never keeps a list alive; the views are frozen
 * data that no executor changes. Views with a missing item are not kept: each request gets its own Error. Their
 * identity matters beyond the views: the items' JSON is memoised per views array (`item-lists/writer.ts`).
 */
const viewsOnce = new WeakMap<readonly ServedItem[], MemoisedViews>();

/** The item views of a served items array for a `first`: the very array `listView` puts in the view, memoised alike. */
export function itemViews(
  served: readonly ServedItem[],
  first: number,
  catalog: CatalogLookup,
): readonly RecommendedItemView[] {
  const count = Math.min(first, served.length);
  const memoised = viewsOnce.get(served);
  const kept = memoised?.catalog === catalog ? memoised.byCount.get(count) : undefined;
  if (kept !== undefined) return kept;
  const views = new Array<RecommendedItemView>(count);
  let complete = true;
  for (let index = 0; index < count; index++) {
    const item = served[index] as ServedItem;
    const found = catalog.get(item.itemId);
    if (found === undefined) complete = false;
    views[index] = { rank: item.rank, score: item.score, item: found ?? missingItem(item.itemId) };
  }
  if (!complete) return views;
  const frozen = Object.freeze(views);
  if (memoised === undefined || memoised.catalog !== catalog) {
    viewsOnce.set(served, { catalog, byCount: new Map([[count, frozen]]) });
  } else {
    if (memoised.byCount.size >= COUNTS_KEPT) memoised.byCount.clear();
    memoised.byCount.set(count, frozen);
  }
  return frozen;
}

function missingItem(itemId: string): Error {
  return new Error(`item ${itemId} is not in the catalogue`);
}
