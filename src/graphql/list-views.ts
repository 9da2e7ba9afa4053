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

/**
 * The list as served to GraphQL, with at most `first` items. Why not an `item` resolver: it ran for every item of
 * every list, and the compiled executor builds a resolve-info object, a path and three closures for each call, which
 * made it the largest allocation of a cache hit. Here it is one small object per item, garbage as soon as the
 * response is written (cheap for the young-generation collector, unlike anything kept beside a cached list).
 */
export function listView(list: ServedList, first: number, catalog: CatalogLookup): RecommendationListView {
  const count = Math.min(first, list.items.length);
  const items = new Array<RecommendedItemView>(count);
  for (let index = 0; index < count; index++) {
    const served = list.items[index] as ServedItem;
    items[index] = {
      rank: served.rank,
      score: served.score,
      item: catalog.get(served.itemId) ?? missingItem(served.itemId),
    };
  }
  return { ...list, id: listViewId(list.userId, first), items };
}

function missingItem(itemId: string): Error {
  return new Error(`item ${itemId} is not in the catalogue`);
}
