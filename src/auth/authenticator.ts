import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';
import { UnauthenticatedError } from '../errors.js';
import { DEVELOPMENT_PRINCIPAL, parseScopes } from './principal.js';
import type { Principal } from './principal.js';

export type Authenticator = (authorization: string | undefined) => Promise<Principal>;

// Only what we configure is accepted: never `none`, never an algorithm the token picks for us.
const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const MAX_TOKEN_LENGTH = 8192;

/**
 * Builds the bearer-token check for the configured auth mode (jose verifies signature, expiry, issuer, audience).
 * Failure messages stay generic: which check failed is logged on the server, never told to the caller.
 */
export function createAuthenticator(config: AuthConfig): Authenticator {
  if (config.mode === 'none') return async () => DEVELOPMENT_PRINCIPAL;
  const key: Uint8Array | JWTVerifyGetKey =
    config.secret !== undefined ? new TextEncoder().encode(config.secret) : createRemoteJWKSet(new URL(config.jwksUrl ?? ''));
  const algorithms = config.secret !== undefined ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  return async (authorization) => {
    const token = bearerToken(authorization);
    try {
      const { payload } = await (typeof key === 'function'
        ? jwtVerify(token, key, { algorithms, issuer: config.issuer, audience: config.audience, clockTolerance: 5 })
        : jwtVerify(token, key, { algorithms, issuer: config.issuer, audience: config.audience, clockTolerance: 5 }));
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new UnauthenticatedError('the token has no subject');
      return { subject: payload.sub, scopes: parseScopes(payload.scope), anonymous: false };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      const reason = error instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
      throw new UnauthenticatedError(reason, error);
    }
  };
}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw new UnauthenticatedError('a bearer token is required (Authorization: Bearer <jwt>)');
  }
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization);
  if (match === null || (match[1]?.length ?? 0) > MAX_TOKEN_LENGTH) {
    throw new UnauthenticatedError('the Authorization header must be "Bearer <jwt>"');
  }
  return match[1] as string;
}
