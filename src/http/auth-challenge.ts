import { GraphQLError } from 'graphql';

/** The protection space named in every challenge (RFC 9110 section 11.5). */
export const REALM = 'recs-gateway';

/**
 * The `WWW-Authenticate` value for a 401 (RFC 6750 section 3). A request that sent no bearer credentials at all (no
 * `Authorization` header, or another scheme such as Basic) gets the bare challenge, without an error code, as the RFC
 * asks; one that sent a bearer token the gateway refused (expired, forged, malformed) gets `error="invalid_token"`,
 * which tells a client library to obtain a new token rather than retry. Why the token was refused stays in the body's
 * generic message and the server's log, never in the header.
 */
export function bearerChallenge(authorization: string | undefined): string {
  const sentBearer = authorization !== undefined && /^bearer(\s|$)/i.test(authorization);
  return sentBearer ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`;
}

/**
 * True for an error that Apollo answers with HTTP 401 (`extensions.http.status`, as `UnauthenticatedError` sets it).
 * The gateway's only 401s are refused tokens while a request's context is built, so the challenge is added there
 * (refusal-headers.ts), at no cost to requests that pass: HTTP requires one on every 401 (RFC 9110 section 15.5.2).
 */
export function isUnauthorized(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const http: unknown = error.extensions.http;
  return typeof http === 'object' && http !== null && (http as { status?: unknown }).status === 401;
}
