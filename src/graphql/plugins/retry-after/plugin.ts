import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../../errors.js';

/**
 * `Retry-After` (RFC 9110 section 10.2.3) on every answer that carries a retryable error with a wait (`RATE_LIMITED`,
 * or `STORE_UNAVAILABLE` for a purchase not recorded yet), in whole seconds, from the error's
 * `extensions.retryAfterSeconds`: HTTP clients, proxies and retry middlewares read the header, and most never look
 * inside a GraphQL body. With several such errors (aliases, a batch) the longest wait wins, since retrying earlier
 * would only be refused again.
 *
 * Only Apollo's answers need it: the fast path answers results without errors and hands every other one to Apollo.
 */
export function retryAfterPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  const listener: GraphQLRequestListener<TContext> = {
    async willSendResponse({ response }) {
      if (response.body.kind !== 'single') return;
      const seconds = retryAfterSeconds(response.body.singleResult.errors);
      if (seconds !== undefined) response.http.headers.set('retry-after', String(seconds));
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

/** The codes whose errors ask the client to come back later, with `extensions.retryAfterSeconds`. */
const RETRY_AFTER_CODES: ReadonlySet<unknown> = new Set([ErrorCode.RATE_LIMITED, ErrorCode.STORE_UNAVAILABLE]);

/** The longest `retryAfterSeconds` among those errors, rounded up to a whole second; undefined if none. */
export function retryAfterSeconds(errors: readonly GraphQLFormattedError[] | undefined): number | undefined {
  if (errors === undefined) return undefined;
  let longest: number | undefined;
  for (const error of errors) {
    const extensions = error.extensions;
    if (extensions === undefined || !RETRY_AFTER_CODES.has(extensions.code)) continue;
    const value: unknown = extensions.retryAfterSeconds;
    // Retry-After is a non-negative integer; a missing or odd value still asks the client to wait a little.
    const seconds = typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : 1;
    if (longest === undefined || seconds > longest) longest = seconds;
  }
  return longest;
}
