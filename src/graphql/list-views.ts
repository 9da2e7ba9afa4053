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
  readonly items: readonly RecommendedItemView[];
}

// Per catalogue, per served items array, per `first`. A cached list's served items are one array for as long as
// it stays cached (recs/recommendation-service.ts ranks each entry once), so on a hit the views already exist.
const memo = new WeakMap<CatalogLookup, WeakMap<readonly ServedItem[], Map<number, readonly RecommendedItemView[]>>>();

/**
 * The list as served to GraphQL, with at most `first` items. Why not an `item` resolver: it ran for every item of
 * every list, and the compiled executor builds a resolve-info object, a path and three closures for each call, which
 * made it the largest allocation of a cache hit. A plain property costs a read.
 */
export function listView(list: ServedList, first: number, catalog: CatalogLookup): RecommendationListView {
  let byItems = memo.get(catalog);
  if (byItems === undefined) {
    byItems = new WeakMap();
    memo.set(catalog, byItems);
  }
  let byFirst = byItems.get(list.items);
  if (byFirst === undefined) {
    byFirst = new Map();
    byItems.set(list.items, byFirst);
  }
  let items = byFirst.get(first);
  if (items === undefined) {
    items = list.items.slice(0, first).map((served) => ({
      rank: served.rank,
      score: served.score,
      item: catalog.get(served.itemId) ?? new Error(`item ${served.itemId} is not in the catalogue`),
    }));
    byFirst.set(first, items);
  }
  return { ...list, items };
}
