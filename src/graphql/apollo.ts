import { readFile } from 'node:fs/promises';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { GatewayContext } from './context.js';
import { createResolvers } from './resolvers.js';
import { createJitGateway } from './jit-executor.js';
import type { ExecutorKind } from './jit-executor.js';
import { noStorePlugin } from './plugins/no-store/index.js';
import { responseMediaTypePlugin } from './plugins/response-media-type/index.js';
import type { MediaTypeChooser } from './plugins/response-media-type/index.js';
import type { KnownOperations } from './known-operations.js';
import { buildExecutableSchema } from './schema.js';
import { defaultFirst, withFirstDefault } from './list-size.js';
import { createErrorFormatter } from './format-error.js';
import { OPERATION_LIMITS, operationLimitRules } from './limits.js';
import { noIntrospectionRule } from './introspection-rule.js';

export interface ApolloOptions {
  readonly schemaPath: string;
  readonly maxFirst: number;
  readonly production: boolean;
  /** Schema introspection (off in production unless enabled). */
  readonly introspection: boolean;
  readonly plugins: readonly ApolloServerPlugin<GatewayContext>[];
  /** Automatic persisted queries: where documents are registered (the gateway's store) and for how long. */
  readonly persistedQueries: { readonly cache: KeyValueCache<string>; readonly ttlSeconds: number };
  /** Which executor runs validated operations (GRAPHQL_EXECUTOR): compiled (`jit`, the default) or graphql-js. */
  readonly executor?: ExecutorKind;
  /** With the compiled executor: where it publishes the operations the fast path may answer (`fast-path.ts`). */
  readonly known?: KnownOperations;
  /** The `Content-Type` choice, shared with the fast path so both answer alike. */
  readonly chooseMediaType?: MediaTypeChooser;
}

/** The GraphQL server, SDL-first: the schema is `schema.graphql`, the file clients and codegen read too. */
export async function createApolloServer(options: ApolloOptions): Promise<ApolloServer<GatewayContext>> {
  const typeDefs = await readFile(options.schemaPath, 'utf8');
  const first = defaultFirst(options.maxFirst);
  const schema = buildExecutableSchema(
    withFirstDefault(typeDefs, first),
    createResolvers({ maxFirst: options.maxFirst, defaultFirst: first }),
  );
  // The compiled executor enters through Apollo's one supported execution hook, the gateway interface; everything
  // before execution (parse, document cache, validation, plugins) is Apollo's in both modes (jit-executor.ts).
  const source =
    (options.executor ?? 'jit') === 'jit'
      ? { gateway: createJitGateway(schema, { known: options.known }) }
      : { schema };
  return new ApolloServer<GatewayContext>({
    ...source,
    // Apollo's landing pages load from a CDN; the gateway serves its own offline IDE instead (http/ide.ts).
    // Its cache-control plugin instruments every resolver; none of our fields has a cache hint, so its only effect
    // was `Cache-Control: no-store`, which noStorePlugin sends at no per-field cost.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin(),
      responseMediaTypePlugin(options.chooseMediaType),
      ...options.plugins,
    ],
    includeStacktraceInErrorResponses: !options.production,
    persistedQueries: { cache: options.persistedQueries.cache, ttl: options.persistedQueries.ttlSeconds },
    // Apollo's switch stays on; when introspection is off our own rule refuses it, naming the gateway's setting.
    introspection: true,
    validationRules: [...(options.introspection ? [] : [noIntrospectionRule]), ...operationLimitRules()],
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
    formatError: createErrorFormatter(options.production),
    // Off, so that plain GETs (urql's default, graphql-request, curl, CDNs) work: the gateway reads credentials only
    // from the Authorization header, which a cross-site page cannot make a browser send, and it accepts no body a
    // cross-site form can send (JSON only); mutations over GET stay refused. docs/security.md has the reasoning.
    csrfPrevention: false,
    // main.ts owns shutdown (drain HTTP first, then stop Apollo); Apollo's own signal handler would stop it early.
    stopOnTerminationSignals: false,
  });
}
