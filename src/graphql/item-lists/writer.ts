import type { CatalogItem } from '../../model/catalog-item.js';
import type { RecommendedItemView } from '../list-views.js';
import type { ItemSelection, RecommendedItemSelection } from './plan.js';

/**
 * The JSON text of a list's `items` for one selection, exactly as graphql-jit's result for it would be serialised,
 * written once per item views array (`list-views.ts` builds one per cached list and item count, then reuses it) and
 * then taken from the memo. Undefined when the views hold anything the executor would not serialise as is: a missing
 * catalogue item (the executor reports it as an error), a rank that is not an Int, a score that is not a finite
 * Float, an item field that is not a string. The executor answers those.
 *
 * The memo is bounded by what it memoises from: one text per views array (the last selection written for it; an
 * app asks its lists with one selection), at most `MEMO_BYTES_PER_ITEM` an item on average (a selection with long
 * aliases is written on every request instead), and weak, so a text lives exactly as long as the views, which live as
 * long as the store's decoded list. Measured at a million cached 100-item lists (Redis store), it adds ~40 MiB of
 * heap beside the decode memo (208 against 167 MiB); an LRU of its own bounded at 16 MiB cost a fifth more CPU per
 * hit (118 against 96 µs): the texts it held outlived the young generation and churned the old one.
 */
export class ItemsWriter {
  readonly #selection: readonly RecommendedItemSelection[];
  /** Equal for equal selections, whichever documents they come from: they share the memo. */
  readonly #selectionKey: string;

  constructor(selection: readonly RecommendedItemSelection[]) {
    this.#selection = selection;
    this.#selectionKey = JSON.stringify(selection);
  }

  json(views: readonly RecommendedItemView[]): string | undefined {
    const memoised = written.get(views);
    if (memoised !== undefined && memoised.selectionKey === this.#selectionKey) return memoised.json;
    const items = new Array<Record<string, unknown>>(views.length);
    for (let index = 0; index < views.length; index++) {
      const item = this.#item(views[index] as RecommendedItemView);
      if (item === undefined) return undefined;
      items[index] = item;
    }
    const json = JSON.stringify(items);
    // Only frozen views are the memoised ones that come back; any other array is this request's alone.
    if (Object.isFrozen(views) && json.length <= MEMO_BYTES_PER_ITEM * Math.max(1, views.length)) {
      written.set(views, { selectionKey: this.#selectionKey, json });
    }
    return json;
  }

  #item(view: RecommendedItemView): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    for (const field of this.#selection) {
      switch (field.field) {
        case 'rank':
          if (!isInt(view.rank)) return undefined;
          out[field.key] = view.rank;
          break;
        case 'score':
          if (!Number.isFinite(view.score)) return undefined;
          out[field.key] = view.score;
          break;
        case '__typename':
          out[field.key] = 'RecommendedItem';
          break;
        case 'item': {
          if (view.item instanceof Error) return undefined;
          const item = catalogItem(view.item, field.item);
          if (item === undefined) return undefined;
          out[field.key] = item;
          break;
        }
      }
    }
    return out;
  }
}

/** About twice a usual item's JSON (`{"rank":1,"score":0.98,"item":{"id":…,"title":…,"category":…}}`). */
const MEMO_BYTES_PER_ITEM = 256;

/** The items' JSON by the views it was written from, with the selection it was written for. */
const written = new WeakMap<readonly RecommendedItemView[], { readonly selectionKey: string; readonly json: string }>();

function catalogItem(item: CatalogItem, selection: readonly ItemSelection[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const field of selection) {
    if (field.field === '__typename') {
      out[field.key] = 'Item';
      continue;
    }
    const value: unknown = item[field.field];
    if (typeof value !== 'string') return undefined;
    out[field.key] = value;
  }
  return out;
}

/** GraphQL's Int: a whole number within 32 bits (graphql-js refuses to serialise anything else). */
function isInt(value: number): boolean {
  return Number.isInteger(value) && value <= 2_147_483_647 && value >= -2_147_483_648;
}
