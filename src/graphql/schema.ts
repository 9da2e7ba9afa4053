import { makeExecutableSchema } from '@graphql-tools/schema';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Resolvers } from '../generated/graphql.js';

/**
 * The executable schema: `schema.graphql` with the resolvers attached. Built once, by us rather than inside Apollo
 * Server, so both executors (graphql-js and the compiled one, see `jit-executor.ts`) run the very same schema object.
 */
export function buildExecutableSchema(typeDefs: string | DocumentNode, resolvers: Resolvers): GraphQLSchema {
  return makeExecutableSchema({ typeDefs, resolvers });
}
