/**
 * Who is asking, after authentication, and what they may do. Pure: no I/O, no tokens, only decisions.
 *
 * A user token (`sub` = user id) reads only its own recommendations. Service tokens carry scopes:
 * `purchases:write` (checkout flows), `recommendations:read:any` (trusted back ends), `admin` (operators).
 */
export const Scope = {
  PURCHASES_WRITE: 'purchases:write',
  RECOMMENDATIONS_READ_ANY: 'recommendations:read:any',
  ADMIN: 'admin',
} as const;

export type Scope = (typeof Scope)[keyof typeof Scope];

export interface Principal {
  /** The token's subject: a user id for user tokens, a client name for service tokens. */
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
  /** True only in development without configured auth: everything is allowed, and the gateway warns loudly. */
  readonly anonymous: boolean;
}

export const DEVELOPMENT_PRINCIPAL: Principal = {
  subject: 'anonymous',
  scopes: new Set(Object.values(Scope)),
  anonymous: true,
};

export function canReadRecommendations(principal: Principal, userId: string): boolean {
  return (
    principal.subject === userId ||
    principal.scopes.has(Scope.RECOMMENDATIONS_READ_ANY) ||
    principal.scopes.has(Scope.ADMIN)
  );
}

export function canRecordPurchase(principal: Principal): boolean {
  return principal.scopes.has(Scope.PURCHASES_WRITE) || principal.scopes.has(Scope.ADMIN);
}

export function isAdmin(principal: Principal): boolean {
  return principal.scopes.has(Scope.ADMIN);
}

/** Scopes from the standard space-separated `scope` claim (RFC 8693 section 4.2). */
export function parseScopes(claim: unknown): ReadonlySet<string> {
  if (typeof claim !== 'string') return new Set();
  return new Set(claim.split(' ').filter((scope) => scope !== ''));
}
