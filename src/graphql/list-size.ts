import { Kind, parse, visit } from 'graphql';
import type { DocumentNode } from 'graphql';

/** The `first` a client gets when it names none, unless the gateway keeps fewer items per list. */
export const PREFERRED_DEFAULT_FIRST = 20;

/**
 * The default of every `first` argument: 20, or the list size (RECS_LIST_SIZE) when that is smaller. A fixed 20
 * would be refused by the gateway's own range check whenever lists hold fewer items.
 */
export function defaultFirst(listSize: number): number {
  return Math.min(PREFERRED_DEFAULT_FIRST, listSize);
}

/**
 * The schema as served: `schema.graphql` with each `first` argument's default set to the one in force, so that
 * introspection, the IDE and generated clients read the default the resolvers apply (the file states the usual 20).
 */
export function withFirstDefault(typeDefs: string, value: number): DocumentNode {
  return visit(parse(typeDefs), {
    InputValueDefinition(node) {
      if (node.name.value !== 'first' || node.defaultValue === undefined) return undefined;
      return { ...node, defaultValue: { kind: Kind.INT, value: String(value) } };
    },
  });
}
