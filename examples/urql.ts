/**
 * urql with its defaults: the document cache (`cacheExchange`) and `fetchExchange`, which sends queries as GET.
 * The document cache forgets every cached result holding a type that a mutation's result holds: the purchase
 * returns a `RecommendationList`, so every cached view of a list is read again from the gateway afterwards.
 */
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { RecommendationsDocument, RecordPurchaseDocument } from './generated/graphql.js';
import type { RecommendationsQuery, RecordPurchaseInput, RecordPurchaseMutation } from './generated/graphql.js';

/** `endpoint` is the gateway's `/graphql` URL; `token` the user's bearer token (none while auth is off). */
export function createUrqlClient(endpoint: string, token?: string): Client {
  return new Client({
    url: endpoint,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: () => (token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
  });
}

/** One view of a user's list; `first` left out is the default view. */
export async function readRecommendations(
  client: Client,
  userId: string,
  first?: number,
): Promise<RecommendationsQuery['recommendations']> {
  const result = await client.query(RecommendationsDocument, { userId, first }).toPromise();
  if (result.error !== undefined) throw result.error;
  if (result.data === undefined) throw new Error('no data');
  return result.data.recommendations;
}

/** Records a purchase (a POST: urql never sends mutations as GET). */
export async function recordPurchase(
  client: Client,
  input: RecordPurchaseInput,
): Promise<RecordPurchaseMutation['recordPurchase']> {
  const result = await client.mutation(RecordPurchaseDocument, { input }).toPromise();
  if (result.error !== undefined) throw result.error;
  if (result.data === undefined) throw new Error('no data');
  return result.data.recordPurchase;
}
