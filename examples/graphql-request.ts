/**
 * graphql-request: a minimal client without a cache, for scripts and server-side code. Queries may go as POST (its
 * default) or GET (`method: 'GET'`, which a CDN or an HTTP cache in front of the gateway can see); mutations always
 * go as POST.
 */
import { GraphQLClient } from 'graphql-request';
import { RecommendationsDocument } from './generated/graphql.js';
import type { RecommendationsQuery } from './generated/graphql.js';

export interface GraphQLRequestOptions {
  /** The user's bearer token (none while auth is off). */
  readonly token?: string;
  readonly method?: 'GET' | 'POST';
}

export function createGraphQLClient(endpoint: string, options: GraphQLRequestOptions = {}): GraphQLClient {
  return new GraphQLClient(endpoint, {
    method: options.method ?? 'POST',
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
  });
}

/** One view of a user's list; errors (e.g. FORBIDDEN, BAD_USER_INPUT) are thrown as a `ClientError`. */
export async function readRecommendations(
  client: GraphQLClient,
  userId: string,
  first?: number,
): Promise<RecommendationsQuery['recommendations']> {
  const data = await client.request(RecommendationsDocument, { userId, first });
  return data.recommendations;
}
