/**
 * Apollo Client 4 in a web app, with its defaults: `InMemoryCache` with no type policies and the `cache-first`
 * fetch policy. The schema gives every list an `id` per user and `first`, so the cache keeps a `first: 5` and a
 * `first: 20` view apart, and the lists the purchase returns replace exactly the views they name.
 */
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import type { ApolloCache } from '@apollo/client';
import { RecommendationsDocument, RecordPurchaseDocument } from './generated/graphql.js';
import type { RecommendationsQuery, RecordPurchaseInput, RecordPurchaseMutation } from './generated/graphql.js';

/** `endpoint` is the gateway's `/graphql` URL; `token` the user's bearer token (none while auth is off). */
export function createApolloClient(endpoint: string, token?: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: endpoint, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
  });
}

/** One view of a user's list; `first` left out is the default view. Answered from the cache when it holds it. */
export async function readRecommendations(
  client: ApolloClient,
  userId: string,
  first?: number,
): Promise<RecommendationsQuery['recommendations']> {
  // With the default errorPolicy ('none') a GraphQL or network error rejects: no `error` to check here.
  const { data } = await client.query({ query: RecommendationsDocument, variables: { userId, first } });
  if (data === undefined) throw new Error('no data');
  return data.recommendations;
}

/** Records a purchase; the payload's lists update the default and the top-5 views in the cache. */
export async function recordPurchase(
  client: ApolloClient,
  input: RecordPurchaseInput,
): Promise<RecordPurchaseMutation['recordPurchase']> {
  const { data } = await client.mutate({ mutation: RecordPurchaseDocument, variables: { input } });
  if (data === undefined || data === null) throw new Error('no data');
  return data.recordPurchase;
}

/**
 * Only where the app shows a view the purchase's answer does not include (say a `first: 10` carousel): the purchase
 * as above, then every other cached view of that user's list is evicted, so the next `cache-first` read of it goes
 * to the gateway. The views the answer includes stay, already updated.
 */
export async function recordPurchaseEvictingOtherViews(
  client: ApolloClient,
  input: RecordPurchaseInput,
): Promise<RecordPurchaseMutation['recordPurchase']> {
  const { data } = await client.mutate({
    mutation: RecordPurchaseDocument,
    variables: { input },
    update(cache, { data: answer }) {
      if (answer !== undefined && answer !== null) evictOtherViews(cache, answer.recordPurchase);
    },
  });
  if (data === undefined || data === null) throw new Error('no data');
  return data.recordPurchase;
}

/** Evicts the cached `RecommendationList`s of the payload's user, except those the payload itself returned. */
export function evictOtherViews(cache: ApolloCache, payload: RecordPurchaseMutation['recordPurchase']): void {
  const kept = new Set(
    [payload.recommendations.id, payload.top5.id].map((id) => cache.identify({ __typename: 'RecommendationList', id })),
  );
  for (const [cacheId, entity] of Object.entries(cache.extract() as Record<string, { userId?: unknown } | undefined>)) {
    if (!cacheId.startsWith('RecommendationList:') || kept.has(cacheId) || entity?.userId !== payload.userId) continue;
    cache.evict({ id: cacheId });
  }
  cache.gc();
}
