import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayContext } from './context.js';
import { createResolvers } from './resolvers.js';
import { createErrorFormatter } from './format-error.js';
import { OPERATION_LIMITS, operationLimitRules } from './limits.js';

export interface ApolloOptions {
  readonly schemaPath: string;
  readonly maxFirst: number;
  readonly production: boolean;
  /** Schema introspection (off in production unless enabled). */
  readonly introspection: boolean;
  readonly plugins: readonly ApolloServerPlugin<GatewayContext>[];
  /** Automatic persisted queries: where documents are registered (the gateway's store) and for how long. */
  readonly persistedQueries: { readonly cache: KeyValueCache<string>; readonly ttlSeconds: number };
}

/** The GraphQL server, SDL-first: the schema is `schema.graphql`, the file clients and codegen read too. */
export async function createApolloServer(options: ApolloOptions): Promise<ApolloServer<GatewayContext>> {
  const typeDefs = await readFile(options.schemaPath, 'utf8');
  return new ApolloServer<GatewayContext>({
    typeDefs,
    resolvers: createResolvers({ maxFirst: options.maxFirst }),
    // Apollo's landing pages load from a CDN; the gateway serves its own offline IDE instead (http/ide.ts).
    plugins: [ApolloServerPluginLandingPageDisabled(), ...options.plugins],
    includeStacktraceInErrorResponses: !options.production,
    persistedQueries: { cache: options.persistedQueries.cache, ttl: options.persistedQueries.ttlSeconds },
    introspection: options.introspection,
    validationRules: operationLimitRules(),
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
    formatError: createErrorFormatter(options.production),
    // CSRF prevention stays on (Apollo's default): a browser cannot send a simple cross-site GraphQL request.
    csrfPrevention: true,
  });
}
