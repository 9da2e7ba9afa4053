import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

export interface VerifiedTokensOptions {
  /** Tokens remembered at most (least recently used go first). */
  readonly max: number;
  /**
   * How long a verification is trusted before the token is checked again, whatever its expiry: bounds how long a
   * token signed by a key since removed from the JWKS keeps working.
   */
  readonly maxAgeMs: number;
  /** The leeway the verifier grants on `exp`; a remembered token is dropped when that leeway is used up. */
  readonly clockToleranceMs: number;
  readonly now?: () => number;
}

interface Remembered {
  readonly principal: Principal;
  /** Epoch ms after which the verification no longer stands. */
  readonly validUntil: number;
}

/**
 * Tokens that verified recently, so a client sending the same bearer token on every request pays for one signature
 * check (plus key import, claim parsing and a WebCrypto job: 13% of a cache hit's CPU in the profile) per
 * `maxAgeMs` instead of per request.
 *
 * Safe because the key is the whole token, signature included: only a caller holding exactly that token can hit the
 * entry, and what it maps to is what verifying it again would give, until one of the time-dependent facts changes.
 * Those are handled here: an entry never outlives the token's `exp` (plus the verifier's tolerance), nor `maxAgeMs`.
 * (`nbf` and `iat` only ever move from failing to passing, and failures are never remembered.)
 */
export class VerifiedTokens {
  readonly #cache: LRUCache<string, Remembered>;
  readonly #maxAgeMs: number;
  readonly #clockToleranceMs: number;
  readonly #now: () => number;

  constructor(options: VerifiedTokensOptions) {
    this.#cache = new LRUCache<string, Remembered>({ max: options.max });
    this.#maxAgeMs = options.maxAgeMs;
    this.#clockToleranceMs = options.clockToleranceMs;
    this.#now = options.now ?? Date.now;
  }

  /** The principal of a token verified earlier and still valid; undefined otherwise. */
  get(token: string): Principal | undefined {
    const remembered = this.#cache.get(token);
    if (remembered === undefined) return undefined;
    if (this.#now() < remembered.validUntil) return remembered.principal;
    this.#cache.delete(token);
    return undefined;
  }

  /** Remembers a token that has just verified; `expSeconds` is its `exp` claim, if it has one. */
  remember(token: string, principal: Principal, expSeconds: number | undefined): void {
    const now = this.#now();
    const expiresAt = expSeconds === undefined ? Number.POSITIVE_INFINITY : expSeconds * 1000 + this.#clockToleranceMs;
    const validUntil = Math.min(expiresAt, now + this.#maxAgeMs);
    if (validUntil > now) this.#cache.set(token, { principal, validUntil });
  }

  get size(): number {
    return this.#cache.size;
  }
}
