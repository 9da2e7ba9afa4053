import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayContext } from './context.js';
import { createResolvers } from './resolvers.js';

export interface ApolloOptions {
  readonly schemaPath: string;
  readonly maxFirst: number;
  readonly production: boolean;
  readonly plugins: readonly ApolloServerPlugin<GatewayContext>[];
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
    introspection: !options.production,
  });
}
