/**
 * The baseline every hit-path figure is a ratio to: a bare Apollo Server on the gateway's HTTP stack (Fastify 5 +
 * @as-integrations/fastify), the same schema.graphql and DateTime scalar, whose `recommendations` resolver returns
 * a constant 20-item list with the gateway's shape and real catalogue items (so responses are as many bytes).
 * Whatever the gateway costs beyond this is the cache, the loaders, the model and the store.
 *
 * `responseCache: true` puts Apollo's own whole-response cache in front of it (`@apollo/server-plugin-response-cache`,
 * every response cacheable for an hour): after one request per user, every response is a cache hit that skips
 * execution. That is the bar the gateway's hit path is measured against, which still resolves every field.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { DateTimeScalar } from '../src/graphql/scalars.js';
import { createCatalog } from '../src/model/catalog.js';

const SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
const LIST_LENGTH = 20;

interface ConstantItem {
  readonly rank: number;
  readonly score: number;
  readonly item: { readonly id: string; readonly title: string; readonly category: string };
}

interface ConstantList {
  readonly userId: string;
  readonly modelVersion: string;
  readonly generatedAt: Date;
  readonly ageSeconds: number;
  readonly source: 'CACHE';
  readonly items: readonly ConstantItem[];
}

export interface BaselineServer {
  readonly http: FastifyInstance;
  close(): Promise<void>;
}

/** The schema's SDL and the constant-list resolvers every reference server serves (Apollo and mercurius alike). */
export interface BaselineSchema {
  readonly typeDefs: string;
  readonly resolvers: {
    readonly DateTime: typeof DateTimeScalar;
    readonly Query: { readonly recommendations: (_parent: unknown, args: { userId: string }) => ConstantList };
  };
}

export async function baselineSchema(): Promise<BaselineSchema> {
  const catalog = createCatalog();
  const items: readonly ConstantItem[] = Array.from({ length: LIST_LENGTH }, (_, index) => {
    const item = catalog.itemAt(index * 37);
    return {
      rank: index + 1,
      score: 1.2345678901234 - index * 0.0123456789,
      item: { id: item.id, title: item.title, category: item.category },
    };
  });
  const generatedAt = new Date();
  // Echoing the id keeps the bytes equal; the list itself never changes.
  const constantList = (userId: string): ConstantList => ({
    userId,
    modelVersion: 'v1',
    generatedAt,
    ageSeconds: 12.345,
    source: 'CACHE',
    items,
  });
  return {
    typeDefs: await readFile(SCHEMA_PATH, 'utf8'),
    resolvers: {
      DateTime: DateTimeScalar,
      Query: { recommendations: (_parent, args) => constantList(args.userId) },
    },
  };
}

export async function createBaselineServer(
  options: { readonly responseCache?: boolean } = {},
): Promise<BaselineServer> {
  const { typeDefs, resolvers } = await baselineSchema();
  const apollo = new ApolloServer({
    typeDefs,
    resolvers,
    plugins: options.responseCache
      ? [
          ApolloServerPluginLandingPageDisabled(),
          ApolloServerPluginCacheControl({ defaultMaxAge: 3600 }),
          responseCachePlugin(),
        ]
      : [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  const http = Fastify();
  http.route({ method: ['GET', 'POST'], url: '/graphql', handler: fastifyApolloHandler(apollo) });
  await http.ready();
  return {
    http,
    close: async () => {
      await http.close();
      await apollo.stop();
    },
  };
}
