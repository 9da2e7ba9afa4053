import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';
import { UnauthenticatedError } from '../errors.js';
import { DEVELOPMENT_PRINCIPAL, parseScopes } from './principal.js';
import type { Principal } from './principal.js';
import { VerifiedTokens } from './verified-tokens.js';

export type Authenticator = (authorization: string | undefined) => Promise<Principal>;

// Only what we configure is accepted: never `none`, never an algorithm the token picks for us.
const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const MAX_TOKEN_LENGTH = 8192;
const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens remembered (see verified-tokens.ts): at most this many, each for at most a minute. */
const VERIFIED_TOKENS = { max: 10_000, maxAgeMs: 60_000 } as const;

/**
 * Builds the bearer-token check for the configured auth mode (jose verifies signature, expiry, issuer, audience).
 * Failure messages stay generic: which check failed is logged on the server, never told to the caller.
 */
export function createAuthenticator(config: AuthConfig, now: () => number = Date.now): Authenticator {
  if (config.mode === 'none') return async () => DEVELOPMENT_PRINCIPAL;
  const verified = new VerifiedTokens({ ...VERIFIED_TOKENS, clockToleranceMs: CLOCK_TOLERANCE_SECONDS * 1000, now });
  const key: Uint8Array | JWTVerifyGetKey =
    config.secret !== undefined
      ? new TextEncoder().encode(config.secret)
      : createRemoteJWKSet(new URL(config.jwksUrl ?? ''));
  const algorithms = config.secret !== undefined ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  return async (authorization) => {
    const token = bearerToken(authorization);
    const known = verified.get(token);
    if (known !== undefined) return known;
    try {
      // `exp` is required: a token without one would be valid forever, long after it leaked or its user left.
      const options = {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      };
      const { payload } = await (typeof key === 'function'
        ? jwtVerify(token, key, options)
        : jwtVerify(token, key, options));
      if (typeof payload.sub !== 'string' || payload.sub === '')
        throw new UnauthenticatedError('the token has no subject');
      if (!withinLifetime(payload.exp, payload.iat, now(), config.maxTokenLifetimeSeconds)) {
        throw new UnauthenticatedError('the token is not valid');
      }
      const principal: Principal = { subject: payload.sub, scopes: parseScopes(payload.scope), anonymous: false };
      verified.remember(token, principal, payload.exp);
      return principal;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      const reason = error instanceof joseErrors.JWTExpired ? 'the token has expired' : 'the token is not valid';
      throw new UnauthenticatedError(reason, error);
    }
  };
}

/**
 * A token may be valid for at most `maxSeconds`: counted from `iat` when it has one, and in any case from now (a
 * token minted with a far `exp` and no `iat`, or a back-dated `iat`, is held to the same bound).
 */
export function withinLifetime(
  exp: number | undefined,
  iat: number | undefined,
  nowMs: number,
  maxSeconds: number,
): boolean {
  if (exp === undefined) return false;
  const nowSeconds = nowMs / 1000;
  if (exp - nowSeconds > maxSeconds + CLOCK_TOLERANCE_SECONDS) return false;
  return iat === undefined || exp - iat <= maxSeconds + CLOCK_TOLERANCE_SECONDS;
}

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization === '') {
    throw new UnauthenticatedError('a bearer token is required (Authorization: Bearer <jwt>)');
  }
  // RFC 9110 section 11.1: the auth scheme is case-insensitive.
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(authorization);
  if (match === null || (match[1]?.length ?? 0) > MAX_TOKEN_LENGTH) {
    throw new UnauthenticatedError('the Authorization header must be "Bearer <jwt>"');
  }
  return match[1] as string;
}
