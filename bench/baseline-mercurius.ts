/**
 * The fast-server reference: mercurius on Fastify 5 with graphql-jit (`jit: 1`: every query compiled after its
 * first request), serving the same schema.graphql and the same constant 20-item lists as the bare Apollo baseline
 * (baseline-apollo.ts's resolvers). It shows what a lean GraphQL server does with no cache at all: how much of the
 * gateway's lead over bare Apollo is the store, and how much is only Apollo's own per-request cost.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { baselineSchema } from './baseline-apollo.js';
import type { BaselineServer } from './baseline-apollo.js';

export async function createMercuriusServer(): Promise<BaselineServer> {
  const { typeDefs, resolvers } = await baselineSchema();
  const http = Fastify();
  await http.register(mercurius, {
    schema: makeExecutableSchema({ typeDefs, resolvers }),
    path: '/graphql',
    graphiql: false,
    jit: 1,
  });
  await http.ready();
  return { http, close: () => http.close() };
}
