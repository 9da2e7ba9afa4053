/**
 * Remembered token verifications (auth/verified-tokens.ts) and the authenticator that uses them: a token is verified
 * once and then served from memory, but never past its `exp` (plus the verifier's tolerance) nor past the
 * remembering limit, failures are never remembered, and a different token (even one byte) is verified afresh.
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import type { Principal } from '../../src/auth/principal.js';
import { VerifiedTokens } from '../../src/auth/verified-tokens.js';
import { ErrorCode } from '../../src/errors.js';

const SECRET = 'verified-tokens-test-secret-at-least-32-bytes';
const T0 = 1_800_000_000_000;
const principal = (subject: string): Principal => ({ subject, scopes: new Set(), anonymous: false });

async function sign(subject: string, expiresAtSeconds: number, issuedAtSeconds = T0 / 1000): Promise<string> {
  return new SignJWT({ scope: 'recommendations:read:any' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(expiresAtSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

describe('VerifiedTokens', () => {
  it('remembers until exp plus the tolerance, and no longer', () => {
    let now = T0;
    const tokens = new VerifiedTokens({ max: 10, maxAgeMs: 3_600_000, clockToleranceMs: 5_000, now: () => now });
    tokens.remember('t1', principal('a'), T0 / 1000 + 60);
    now = T0 + 64_999;
    expect(tokens.get('t1')?.subject).toBe('a');
    now = T0 + 65_000;
    expect(tokens.get('t1')).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('remembers no longer than maxAgeMs, even for a token without exp', () => {
    let now = T0;
    const tokens = new VerifiedTokens({ max: 10, maxAgeMs: 60_000, clockToleranceMs: 5_000, now: () => now });
    tokens.remember('forever', principal('b'), undefined);
    now = T0 + 59_999;
    expect(tokens.get('forever')?.subject).toBe('b');
    now = T0 + 60_000;
    expect(tokens.get('forever')).toBeUndefined();
  });

  it('does not remember a token that is already past its exp and tolerance', () => {
    const tokens = new VerifiedTokens({ max: 10, maxAgeMs: 60_000, clockToleranceMs: 5_000, now: () => T0 });
    tokens.remember('late', principal('c'), T0 / 1000 - 10);
    expect(tokens.size).toBe(0);
  });

  it('is bounded: the least recently used token goes first', () => {
    const tokens = new VerifiedTokens({ max: 2, maxAgeMs: 60_000, clockToleranceMs: 0, now: () => T0 });
    tokens.remember('x', principal('x'), undefined);
    tokens.remember('y', principal('y'), undefined);
    expect(tokens.get('x')?.subject).toBe('x');
    tokens.remember('z', principal('z'), undefined);
    expect(tokens.size).toBe(2);
    expect(tokens.get('y')).toBeUndefined();
    expect(tokens.get('x')?.subject).toBe('x');
  });
});

describe('createAuthenticator with remembered verifications', () => {
  const config = {
    mode: 'jwt',
    secret: SECRET,
    jwksUrl: undefined,
    issuer: undefined,
    audience: undefined,
    maxTokenLifetimeSeconds: 86_400,
  } as const;

  it('answers a repeated token from memory with the same principal', async () => {
    const authenticate = createAuthenticator(config, () => T0);
    const token = await sign('svc', T0 / 1000 + 600);
    const first = await authenticate(`Bearer ${token}`);
    const second = await authenticate(`Bearer ${token}`);
    expect(first.subject).toBe('svc');
    expect(second).toBe(first);
  });

  it('refuses a remembered token once it has expired (past the 5 s tolerance)', async () => {
    let now = T0;
    const authenticate = createAuthenticator(config, () => now);
    const token = await sign('short-lived', T0 / 1000 + 30);
    expect((await authenticate(`Bearer ${token}`)).subject).toBe('short-lived');
    now = T0 + 34_000;
    expect((await authenticate(`Bearer ${token}`)).subject).toBe('short-lived');
    now = T0 + 36_000;
    await expect(authenticate(`Bearer ${token}`)).rejects.toMatchObject({
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
  });

  it('never remembers a failure, and verifies a token differing in one character afresh', async () => {
    const authenticate = createAuthenticator(config, () => T0);
    const token = await sign('svc', T0 / 1000 + 600);
    await authenticate(`Bearer ${token}`);
    // A character inside the signature (the last one may carry only padding bits).
    const at = token.length - 6;
    const tampered = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    await expect(authenticate(`Bearer ${tampered}`)).rejects.toMatchObject({
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
    await expect(authenticate(`Bearer ${tampered}`)).rejects.toMatchObject({
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect((await authenticate(`Bearer ${token}`)).subject).toBe('svc');
  });
});
