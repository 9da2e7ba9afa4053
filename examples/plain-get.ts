/**
 * A plain `GET /graphql?query=…` with `fetch`: what curl, a CDN or a mobile HTTP stack sends, with no GraphQL
 * library at all. The same request with curl:
 *
 *   curl -G http://localhost:4000/graphql \
 *     --data-urlencode 'query=query Top($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { id source items { rank item { id title } } } }' \
 *     --data-urlencode 'variables={"userId":"u42","first":5}' \
 *     -H 'authorization: Bearer <token>'
 */

export const TOP_QUERY =
  'query Top($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { id source items { rank item { id title } } } }';

export interface TopList {
  readonly id: string;
  readonly source: 'CACHE' | 'MODEL' | 'STALE';
  readonly items: ReadonlyArray<{
    readonly rank: number;
    readonly item: { readonly id: string; readonly title: string };
  }>;
}

export interface GraphQLAnswer<T> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: ReadonlyArray<{ readonly message: string; readonly extensions?: { readonly code?: string } }>;
}

/** GETs one user's top `first` items; the answer's HTTP status and body as they came. */
export async function getTop(
  endpoint: string,
  userId: string,
  first: number,
  token?: string,
): Promise<GraphQLAnswer<{ recommendations: TopList }>> {
  const url = new URL(endpoint);
  url.searchParams.set('query', TOP_QUERY);
  url.searchParams.set('variables', JSON.stringify({ userId, first }));
  const headers: Record<string, string> = { accept: 'application/graphql-response+json, application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { headers });
  const body = (await response.json()) as Omit<GraphQLAnswer<{ recommendations: TopList }>, 'status'>;
  return { status: response.status, ...body };
}
