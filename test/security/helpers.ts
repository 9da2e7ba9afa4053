/**
 * Shared helpers for the security tests (not a test file): token minting with jose, raw GraphQL requests that keep
 * the status and every error code, and a few documents the tests reuse.
 */
import { SignJWT, UnsecuredJWT } from 'jose';
import type { JWTPayload } from 'jose';

/** The HS256 secret the security tests configure (AUTH_JWT_SECRET must be at least 32 bytes). */
export const SECRET = 'security-tests-hs256-secret-7f3a9c1e5b2d4086';
export const ISSUER = 'https://id.recs.test/';
export const AUDIENCE = 'recs-gateway';

export const READ_QUERY =
  'query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { userId source items { rank item { id } } } }';
export const PURCHASE_MUTATION =
  'mutation Buy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { userId itemId orderId invalidated duplicate } }';
export const PURGE_MUTATION =
  'mutation Purge($v: String!) { purgeModelVersion(modelVersion: $v) { modelVersion removed } }';

export interface TokenOptions {
  readonly sub?: string;
  readonly scope?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now; negative for an expired token. */
  readonly expiresIn?: number;
  /** Leave out `exp` altogether (a token that would never expire). */
  readonly noExpiry?: boolean;
  /** `iat` this many seconds from now (default 0); with `noIssuedAt`, no `iat` at all. */
  readonly issuedAt?: number;
  readonly noIssuedAt?: boolean;
  readonly notBefore?: number;
  readonly secret?: string;
  readonly alg?: 'HS256' | 'HS384' | 'HS512';
  readonly extra?: JWTPayload;
}

/** An HS-signed JWT; by default valid for the security tests' gateway (its secret, issuer and audience). */
export async function hsToken(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { ...options.extra };
  if (options.scope !== undefined) claims.scope = options.scope;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' });
  if (options.noIssuedAt !== true) jwt = jwt.setIssuedAt(now + (options.issuedAt ?? 0));
  if (options.noExpiry !== true) jwt = jwt.setExpirationTime(now + (options.expiresIn ?? 3600));
  if (options.sub !== '') jwt = jwt.setSubject(options.sub ?? 'u42');
  if (options.issuer !== '') jwt = jwt.setIssuer(options.issuer ?? ISSUER);
  if (options.audience !== '') jwt = jwt.setAudience(options.audience ?? AUDIENCE);
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/**
 * `Authorization: Bearer …` for a gateway configured with `secret` and no issuer or audience: an hour's token for
 * `sub`, with `scope` when given.
 */
export async function bearerToken(secret: string, sub: string, scope?: string): Promise<string> {
  return `Bearer ${await hsToken({ secret, sub, scope, issuer: '', audience: '' })}`;
}

/** An `alg: none` token (no signature) with otherwise valid claims. */
export function unsignedToken(sub = 'u42', scope = 'admin'): string {
  return new UnsecuredJWT({ scope })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .encode();
}

/** The token with its payload swapped for another (sub changed), keeping the original signature: a forgery. */
export function forgedToken(token: string, sub: string, scope = 'admin'): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as JWTPayload;
  const forged = Buffer.from(JSON.stringify({ ...claims, sub, scope })).toString('base64url');
  return `${header}.${forged}.${signature}`;
}

/** The token with one signature character changed. */
export function tamperedSignature(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A';
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export type GraphQLErrorBody = { message: string; path?: Array<string | number>; extensions?: Record<string, unknown> };

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or undefined when the body is empty or not JSON. */
  readonly json: Record<string, unknown> | undefined;
  /** GraphQL errors, when the body is a GraphQL response. */
  readonly errors: GraphQLErrorBody[];
  /** `errors[0].extensions.code` for GraphQL bodies, Fastify's `code` for its own errors, else null. */
  readonly code: string | null;
  readonly data: unknown;
}

/** Parses any response the gateway may send (GraphQL, Fastify error, empty) without failing. */
export async function readResponse(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    json =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
  } catch {
    json = undefined;
  }
  const errors = Array.isArray(json?.errors) ? (json.errors as GraphQLErrorBody[]) : [];
  const graphqlCode = errors[0]?.extensions?.code;
  const fastifyCode = json?.code;
  const code = typeof graphqlCode === 'string' ? graphqlCode : typeof fastifyCode === 'string' ? fastifyCode : null;
  return { status: response.status, headers: response.headers, text, json, errors, code, data: json?.data };
}

export interface GraphQLRequestOptions {
  readonly headers?: Record<string, string>;
  readonly token?: string;
  /** Defaults to the one a GraphQL-over-HTTP client sends: `application/graphql-response+json, application/json`. */
  readonly accept?: string;
  readonly operationName?: string;
}

/** POSTs one operation and returns the status, the body and every error, whatever came back. */
export async function gql(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  options: GraphQLRequestOptions = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: options.accept ?? 'application/graphql-response+json, application/json',
    ...(options.token === undefined ? {} : bearer(options.token)),
    ...options.headers,
  };
  const body = JSON.stringify({
    query,
    variables,
    ...(options.operationName === undefined ? {} : { operationName: options.operationName }),
  });
  return readResponse(await fetch(url, { method: 'POST', headers, body }));
}

/** `a0: recommendations(userId: "…") {…} a1: …`: one aliased field per user. */
export function aliasedReads(userIds: readonly string[], fields = 'userId source'): string {
  return `{ ${userIds.map((userId, index) => `a${index}: recommendations(userId: "${userId}", first: 3) { ${fields} }`).join(' ')} }`;
}
