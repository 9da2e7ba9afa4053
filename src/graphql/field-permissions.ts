import { Kind } from 'graphql';
import type { FieldNode, FragmentDefinitionNode, SelectionSetNode } from 'graphql';
import { canReadRecommendations, canRecordPurchase, isAdmin } from '../auth/principal.js';
import type { Principal } from '../auth/principal.js';
import { ForbiddenError } from '../errors.js';

/**
 * The permission of every field that returns data about a user or changes state, in one place (docs/security.md has
 * the same table). Each field checks its own permission: a field reached through another one (the list inside a
 * purchase payload) is held to the same rule as when it is asked for directly, so no field is a side door to another.
 */

/** `Query.recommendations` and `RecordPurchasePayload.recommendations`: the user's own list, or read:any / admin. */
export function assertCanReadList(principal: Principal, userId: string): void {
  if (!canReadRecommendations(principal, userId)) throw new ForbiddenError('read recommendations for this user');
}

/**
 * `Mutation.recordPurchase`: `purchases:write` (or admin); and when the operation also selects the payload's list,
 * the right to read that user's list, checked here too so that a refused read records nothing (the payload's own
 * check, `assertCanReadList`, would come only after the purchase was stored).
 */
export function assertCanRecordPurchase(
  principal: Principal,
  userId: string,
  selection: {
    readonly fieldNodes: readonly FieldNode[];
    readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  },
): void {
  if (!canRecordPurchase(principal)) throw new ForbiddenError('record purchases');
  if (selectsField(selection.fieldNodes, selection.fragments, 'recommendations')) assertCanReadList(principal, userId);
}

/** `Mutation.purgeModelVersion`: admin only. */
export function assertCanPurge(principal: Principal): void {
  if (!isAdmin(principal)) throw new ForbiddenError('purge model versions');
}

/**
 * Whether any of the field nodes selects `name` directly below it, through inline fragments and fragment spreads
 * (aliases do not matter: the field name does). `@skip`/`@include` are ignored on purpose: a field that might be
 * selected is treated as selected, which can only refuse more, never less.
 */
export function selectsField(
  fieldNodes: readonly FieldNode[],
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  name: string,
): boolean {
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined): boolean => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (visit(selection.selectionSet)) return true;
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        if (visit(fragments[selection.name.value]?.selectionSet)) return true;
      }
    }
    return false;
  };
  return fieldNodes.some((node) => visit(node.selectionSet));
}

/**
 * The field nodes directly below `fieldNodes` named `name` (through inline fragments and fragment spreads, aliases
 * included, `@skip`/`@include` ignored as in `selectsField`): what a resolver must check before it changes state on
 * behalf of fields that resolve only afterwards.
 */
export function selectedFields(
  fieldNodes: readonly FieldNode[],
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  name: string,
): FieldNode[] {
  const found: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === name) found.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        visit(fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of fieldNodes) visit(node.selectionSet);
  return found;
}
