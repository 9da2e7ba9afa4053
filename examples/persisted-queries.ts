/**
 * Automatic persisted queries (APQ) with Apollo Client: each query goes as a GET carrying only the SHA-256 of its
 * text; the first time the gateway does not know it (`PERSISTED_QUERY_NOT_FOUND`), the link sends the text once and
 * the gateway keeps it (APQ_TTL_SECONDS, in the shared store, so every replica knows it). Short GET URLs are what a
 * CDN or an HTTP cache can key on; the gateway answers with `Cache-Control: no-store`, so none keeps answers today.
 */
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

/** SHA-256 in hex with the Web Crypto API (browsers, React Native with a polyfill, Node 20+). */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function createPersistedQueryClient(endpoint: string, token?: string): ApolloClient {
  const http = new HttpLink({
    uri: endpoint,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return new ApolloClient({
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http),
    cache: new InMemoryCache(),
  });
}
