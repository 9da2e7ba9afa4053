import { GraphQLError } from 'graphql';
import { asGraphQLError } from '../graphql/error-mapping.js';
import { retryAfterSeconds } from '../graphql/plugins/retry-after/index.js';
import { bearerChallenge, isUnauthorized } from './auth-challenge.js';

/**
 * The headers for a request refused while its context was built. Apollo answers such a request without running any
 * plugin, so the headers the plugins add to refusals must be added here: the `WWW-Authenticate` challenge of a 401
 * (auth-challenge.ts) and, should a budget ever be checked there, `Retry-After` for `RATE_LIMITED` (plugins/retry-after).
 */
export function refusalHeaders(refusal: unknown, authorization: string | undefined): Array<readonly [string, string]> {
  // A client error (a refused token) is read as Apollo will answer it, HTTP status included.
  const error = asGraphQLError(refusal);
  if (!(error instanceof GraphQLError)) return [];
  const headers: Array<readonly [string, string]> = [];
  if (isUnauthorized(error)) headers.push(['www-authenticate', bearerChallenge(authorization)]);
  const seconds = retryAfterSeconds([error.toJSON()]);
  if (seconds !== undefined) headers.push(['retry-after', String(seconds)]);
  return headers;
}
