import { Kind, OperationTypeNode } from 'graphql';
import type { DocumentNode, FieldNode, OperationDefinitionNode, SelectionNode } from 'graphql';

/** A field of `Item` the writer serialises, by the name the schema gives it. */
export type ItemField = 'id' | 'title' | 'category' | '__typename';
/** A field of `RecommendedItem` the writer serialises, by the name the schema gives it. */
export type RecommendedItemField = 'rank' | 'score' | '__typename';

/** One field of an item's selection, in the order it was asked: its response key (alias or name), and what it is. */
export type RecommendedItemSelection =
  | { readonly key: string; readonly field: RecommendedItemField }
  | { readonly key: string; readonly field: 'item'; readonly item: readonly ItemSelection[] };

export interface ItemSelection {
  readonly key: string;
  readonly field: ItemField;
}

/** Where, in the variant's `data`, a list's `items` value (the list's `id`, see `planItemLists`) is to be replaced. */
export interface ItemListSlot {
  /** The root field's response key: `data[rootKey]` is the list. */
  readonly rootKey: string;
  /** The `items` field's response key in that list. */
  readonly itemsKey: string;
  readonly selection: readonly RecommendedItemSelection[];
}

export interface ItemListPlan {
  /** The document with each list's `items { … }` replaced by `<itemsKey>: id`, to compile and run instead. */
  readonly variant: DocumentNode;
  /** In the order the lists appear in `data` (root fields in document order). */
  readonly slots: readonly ItemListSlot[];
}

const RECOMMENDED_ITEM_FIELDS: ReadonlySet<string> = new Set<RecommendedItemField>(['rank', 'score', '__typename']);
const ITEM_FIELDS: ReadonlySet<string> = new Set<ItemField>(['id', 'title', 'category', '__typename']);

/**
 * How to answer an operation with its lists' items written from a memo instead of executed, or undefined when the
 * operation is not of the plain shape this covers. A hit's items are most of its answer, and the same for every hit
 * on the same cached list: executing them (graphql-jit builds two objects per item) and serialising them
 * (`JSON.stringify` of ~2 KB) was a quarter of a hit's CPU, for a result that only changes with the list.
 *
 * The shape: a query whose root fields are `recommendations` (any alias, any arguments) or `__typename`; each list's
 * selection made of plain fields; `items` selecting `rank`, `score`, `__typename` and `item { id title category
 * __typename }`. Plain means no fragments, no directives, no arguments below the root and no response key asked twice
 * in one selection (graphql-js would merge them; this leaves such documents to the executor), no `__proto__` alias. Anything else, and any
 * document the operation name does not pick exactly one operation from, gets no plan and is executed as before.
 *
 * The variant keeps every other field where it was and puts the list's `id` (the user and `first`, see
 * `list-views.ts`) at the items' response key: it is non-null like `items` and names the view whose items go there.
 */
export function planItemLists(
  document: DocumentNode,
  operationName: string | null | undefined,
): ItemListPlan | undefined {
  const operation = pickOperation(document, operationName);
  if (operation === undefined || operation.operation !== OperationTypeNode.QUERY) return undefined;
  if ((operation.directives?.length ?? 0) > 0) return undefined;
  const rootFields = plainFields(operation.selectionSet.selections);
  if (rootFields === undefined) return undefined;

  const slots: ItemListSlot[] = [];
  const variantRoot: FieldNode[] = [];
  for (const field of rootFields) {
    if (field.name.value === '__typename') {
      variantRoot.push(field);
      continue;
    }
    if (field.name.value !== 'recommendations' || field.selectionSet === undefined) return undefined;
    const listFields = plainFields(field.selectionSet.selections);
    if (listFields === undefined || listFields.some((listField) => (listField.arguments?.length ?? 0) > 0)) {
      return undefined;
    }
    const variantList: FieldNode[] = [];
    for (const listField of listFields) {
      if (listField.name.value !== 'items') {
        variantList.push(listField);
        continue;
      }
      const selection = itemsSelection(listField);
      if (selection === undefined) return undefined;
      const itemsKey = responseKey(listField);
      slots.push({ rootKey: responseKey(field), itemsKey, selection });
      variantList.push(idAt(itemsKey));
    }
    variantRoot.push({ ...field, selectionSet: { ...field.selectionSet, selections: variantList } });
  }
  if (slots.length === 0) return undefined;
  const variantOperation: OperationDefinitionNode = {
    ...operation,
    selectionSet: { ...operation.selectionSet, selections: variantRoot },
  };
  return { variant: { kind: Kind.DOCUMENT, definitions: [variantOperation] }, slots };
}

/** The operation graphql-js would run: the one named, or the only one when none is named. */
function pickOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName === undefined || operationName === null) return operations.length === 1 ? operations[0] : undefined;
  const named = operations.filter((operation) => operation.name?.value === operationName);
  return named.length === 1 ? named[0] : undefined;
}

/** The selections as fields, when all are fields without directives and no response key repeats. */
function plainFields(selections: readonly SelectionNode[]): FieldNode[] | undefined {
  const keys = new Set<string>();
  const fields: FieldNode[] = [];
  for (const selection of selections) {
    if (selection.kind !== Kind.FIELD || (selection.directives?.length ?? 0) > 0) return undefined;
    const key = responseKey(selection);
    // `__proto__` as a key of the executor's result objects sets their prototype instead (graphql-jit drops it); the
    // splice would then find no placeholder where it put one. Such documents stay the executor's.
    if (keys.has(key) || key === '__proto__') return undefined;
    keys.add(key);
    fields.push(selection);
  }
  return fields;
}

function itemsSelection(items: FieldNode): RecommendedItemSelection[] | undefined {
  if (items.selectionSet === undefined) return undefined;
  const fields = plainFields(items.selectionSet.selections);
  if (fields === undefined) return undefined;
  const selection: RecommendedItemSelection[] = [];
  for (const field of fields) {
    if ((field.arguments?.length ?? 0) > 0) return undefined;
    const name = field.name.value;
    if (name === 'item') {
      const item = itemSelection(field);
      if (item === undefined) return undefined;
      selection.push({ key: responseKey(field), field: 'item', item });
    } else if (RECOMMENDED_ITEM_FIELDS.has(name) && field.selectionSet === undefined) {
      selection.push({ key: responseKey(field), field: name as RecommendedItemField });
    } else {
      return undefined;
    }
  }
  return selection;
}

function itemSelection(item: FieldNode): ItemSelection[] | undefined {
  if (item.selectionSet === undefined) return undefined;
  const fields = plainFields(item.selectionSet.selections);
  if (fields === undefined) return undefined;
  const selection: ItemSelection[] = [];
  for (const field of fields) {
    const name = field.name.value;
    if ((field.arguments?.length ?? 0) > 0 || field.selectionSet !== undefined || !ITEM_FIELDS.has(name)) {
      return undefined;
    }
    selection.push({ key: responseKey(field), field: name as ItemField });
  }
  return selection;
}

function responseKey(field: FieldNode): string {
  return field.alias?.value ?? field.name.value;
}

/** `<key>: id`, the field the variant asks in place of a list's items. */
function idAt(key: string): FieldNode {
  return {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: key },
    name: { kind: Kind.NAME, value: 'id' },
    arguments: [],
    directives: [],
  };
}
