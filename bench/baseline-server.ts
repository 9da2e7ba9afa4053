/**
 * Bench child: the baseline. A bare Apollo Server on the same HTTP stack as the gateway (Fastify 5 +
 * @as-integrations/fastify), the same schema.graphql and the same DateTime scalar, whose `recommendations` resolver
 * returns a constant list of 20 items with the gateway's shape. Whatever the gateway costs beyond this is the
 * cache, the loaders, the model and the store.
 *
 *   node --import tsx bench/baseline-server.ts
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';
import { DateTimeScalar } from '../src/graphql/scalars.js';
import { createCatalog } from '../src/model/catalog.js';
import { serveAsBenchChild } from './child.js';

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

// Real catalogue items and plausible scores, so the response is as many bytes as the gateway's.
const catalog = createCatalog();
const ITEMS: readonly ConstantItem[] = Array.from({ length: LIST_LENGTH }, (_, index) => {
  const item = catalog.itemAt(index * 37);
  return { rank: index + 1, score: 1.2345678901234 - index * 0.0123456789, item: { id: item.id, title: item.title, category: item.category } };
});
const GENERATED_AT = new Date();

function constantList(userId: string): ConstantList {
  // Echoing the id keeps the bytes equal; the list itself never changes.
  return { userId, modelVersion: 'v1', generatedAt: GENERATED_AT, ageSeconds: 12.345, source: 'CACHE', items: ITEMS };
}

await serveAsBenchChild(async () => {
  const typeDefs = await readFile(SCHEMA_PATH, 'utf8');
  const apollo = new ApolloServer({
    typeDefs,
    resolvers: {
      DateTime: DateTimeScalar,
      Query: {
        recommendations: (_parent: unknown, args: { userId: string; first?: number | null }): ConstantList =>
          constantList(args.userId),
      },
    },
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  const http = Fastify();
  http.route({ method: ['GET', 'POST'], url: '/graphql', handler: fastifyApolloHandler(apollo) });
  const address = await http.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/graphql` };
});
