import { randomBytes } from 'node:crypto';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { CompiledQuery } from 'graphql-jit';
import type { ServedList } from '../../recs/served-list.js';
import type { CatalogLookup } from '../context.js';
import { itemViews, parseListViewId } from '../list-views.js';
import type { RecommendedItemView } from '../list-views.js';
import { planItemLists } from './plan.js';
import type { ItemListSlot } from './plan.js';
import { ItemsWriter } from './writer.js';

/** The items' JSON to put in place of each placeholder of a result's `data`, in order (`writeSuccessBody`). */
export interface ItemSplices {
  readonly placeholders: readonly string[];
  readonly json: readonly string[];
}

/**
 * A known query run with its lists' items written from the memo (`plan.ts`, `writer.ts`): the fast path runs
 * `compiled` (the variant) instead of the operation, then `fill` swaps each list's id for a placeholder, and the body
 * writer swaps each placeholder's JSON string for the items' JSON. When `fill` answers undefined (an item the writer
 * does not take, see `ItemsWriter`) or the variant has errors, the fast path runs the operation itself, whose result
 * is then what the executor would have produced all along: resolvers are pure given the request's loaders, and the
 * loaders hold this request's lists, so the second run reads and records nothing twice.
 */
export interface SplicedOperation {
  readonly compiled: CompiledQuery;
  fill(data: Record<string, unknown>, served: readonly ServedList[], catalog: CatalogLookup): ItemSplices | undefined;
}

/**
 * Placeholders are a process-wide random token and the slot's index: `~` and `#` cannot occur in a user id
 * (`input-validation.ts`), the only client-chosen text that reaches `data` before them, and the token never leaves
 * the process, so no string in an answer can be taken for one.
 */
const TOKEN = randomBytes(12).toString('hex');

export function placeholder(index: number): string {
  return `~items#${TOKEN}#${index}~`;
}

/** The spliced form of an operation Apollo accepted, or undefined when it is not of the plain shape (`plan.ts`). */
export function splicedOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): SplicedOperation | undefined {
  const plan = planItemLists(document, operationName);
  if (plan === undefined) return undefined;
  const compiled = compileQuery(schema, plan.variant, operationName ?? undefined);
  if (!isCompiledQuery(compiled)) return undefined;
  const slots = plan.slots.map((slot) => ({ ...slot, writer: new ItemsWriter(slot.selection) }));
  const placeholders = slots.map((_, index) => placeholder(index));
  return {
    compiled,
    fill(data, served, catalog) {
      const json = new Array<string>(slots.length);
      for (let index = 0; index < slots.length; index++) {
        const slot = slots[index] as ItemListSlot & { readonly writer: ItemsWriter };
        const list = data[slot.rootKey];
        if (typeof list !== 'object' || list === null) return undefined;
        const record = list as Record<string, unknown>;
        const views = viewsOf(record[slot.itemsKey], served, catalog);
        const written = views === undefined ? undefined : slot.writer.json(views);
        if (written === undefined) return undefined;
        record[slot.itemsKey] = placeholders[index];
        // The body writer must find each placeholder where it was put, or it would splice in the wrong place.
        if (record[slot.itemsKey] !== placeholders[index]) return undefined;
        json[index] = written;
      }
      return { placeholders, json };
    },
  };
}

/** The item views the resolver gave the executor for the list with this `id` (`listViewId`: user and `first`). */
function viewsOf(
  id: unknown,
  served: readonly ServedList[],
  catalog: CatalogLookup,
): readonly RecommendedItemView[] | undefined {
  const view = parseListViewId(id);
  if (view === undefined) return undefined;
  const list = served.find((candidate) => candidate.userId === view.userId);
  return list === undefined ? undefined : itemViews(list.items, view.first, catalog);
}
