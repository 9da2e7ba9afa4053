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
import { createJitExecutor } from './jit-executor.js';
import type { ExecutorKind } from './jit-executor.js';
import type { HandedOverResults } from './handed-over-results.js';
import type { KnownOperations } from './known-operations.js';
import type { ResponseEffect } from './response/effect.js';
import { responseEffectsPlugin } from './response/effects-plugin.js';
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
  /**
   * What every answer carries or causes beyond its data (`responseEffects`), run first; the fast path runs the same
   * list on its own answers.
   */
  readonly responseEffects: readonly ResponseEffect[];
  /**
   * Apollo's other plugins, after the effects: only for what the fast path never answers (answers with errors, and
   * what happens before execution). Anything a successful answer carries belongs in `responseEffects`.
   */
  readonly plugins: readonly ApolloServerPlugin<GatewayContext>[];
  /** Automatic persisted queries: where documents are registered (the gateway's store) and for how long. */
  readonly persistedQueries: { readonly cache: KeyValueCache<string>; readonly ttlSeconds: number };
  /** Which executor runs validated operations (GRAPHQL_EXECUTOR): compiled (`jit`, the default) or graphql-js. */
  readonly executor?: ExecutorKind;
  /** With the compiled executor: where it publishes the operations the fast path may answer (`fast-path.ts`). */
  readonly known?: KnownOperations;
  /** With the compiled executor: where it takes back the results the fast path handed over. */
  readonly handedOver?: HandedOverResults;
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
      ? { gateway: createJitExecutor(schema, { known: options.known, handedOver: options.handedOver }) }
      : { schema };
  return new ApolloServer<GatewayContext>({
    ...source,
    // Apollo's landing pages load from a CDN; the gateway serves its own offline IDE instead (http/ide.ts).
    // Its cache-control plugin instruments every resolver; none of our fields has a cache hint, so its only effect
    // was `Cache-Control: no-store`, which the no-store response effect sends at no per-field cost.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      responseEffectsPlugin<GatewayContext>(options.responseEffects),
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
