/**
 * Tokens expire: `exp` is required, and no token may be valid for longer than AUTH_MAX_TOKEN_LIFETIME_SECONDS,
 * counted from `iat` and from now (a far `exp` with a back-dated or missing `iat` is held to the same bound).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, withinLifetime } from '../../src/auth/authenticator.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ErrorCode } from '../../src/errors.js';

const SECRET = 'token-lifetime-test-secret-at-least-32-bytes';
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const NOW = T0 / 1000;
const HOUR = 3600;
const DAY = 24 * HOUR;

async function sign(claims: { exp?: number; iat?: number }): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u1');
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(SECRET));
}

describe('withinLifetime', () => {
  const cases: Array<[string, number | undefined, number | undefined, boolean]> = [
    ['no exp', undefined, NOW, false],
    ['no exp, no iat', undefined, undefined, false],
    ['an hour, iat now', NOW + HOUR, NOW, true],
    ['exactly the maximum', NOW + DAY, NOW, true],
    ['the maximum plus the 5 s tolerance', NOW + DAY + 5, NOW, true],
    ['a day and a minute', NOW + DAY + 60, NOW, false],
    ['ten years', NOW + 3650 * DAY, NOW, false],
    ['an hour ahead, no iat', NOW + HOUR, undefined, true],
    ['two days ahead, no iat', NOW + 2 * DAY, undefined, false],
    ['issued two days ago, an hour left (48 h lifetime)', NOW + HOUR, NOW - 2 * DAY, false],
    ['issued 23 h ago, an hour left (24 h lifetime)', NOW + HOUR, NOW - 23 * HOUR, true],
    ['iat in the future, exp a day after it but two days from now', NOW + 2 * DAY, NOW + DAY, false],
  ];
  for (const [label, exp, iat, expected] of cases) {
    it(`${label} → ${expected ? 'accepted' : 'refused'}`, () => {
      expect(withinLifetime(exp, iat, T0, DAY)).toBe(expected);
    });
  }
});

describe('createAuthenticator', () => {
  const config = {
    mode: 'jwt',
    secret: SECRET,
    jwksUrl: undefined,
    issuer: undefined,
    audience: undefined,
    maxTokenLifetimeSeconds: DAY,
  } as const;
  const authenticate = createAuthenticator(config, () => T0);

  it('refuses a token without exp with the generic reason', async () => {
    await expect(authenticate(`Bearer ${await sign({ iat: NOW })}`)).rejects.toMatchObject({
      message: 'Unauthenticated: the token is not valid',
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
  });

  it('refuses a token valid for longer than the maximum, accepts one within it', async () => {
    await expect(authenticate(`Bearer ${await sign({ iat: NOW, exp: NOW + 2 * DAY })}`)).rejects.toMatchObject({
      message: 'Unauthenticated: the token is not valid',
    });
    expect((await authenticate(`Bearer ${await sign({ iat: NOW, exp: NOW + HOUR })}`)).subject).toBe('u1');
  });

  it('AUTH_MAX_TOKEN_LIFETIME_SECONDS moves the bound', async () => {
    const strict = createAuthenticator({ ...config, maxTokenLifetimeSeconds: 600 }, () => T0);
    await expect(strict(`Bearer ${await sign({ iat: NOW, exp: NOW + HOUR })}`)).rejects.toMatchObject({
      extensions: { code: ErrorCode.UNAUTHENTICATED },
    });
    expect((await strict(`Bearer ${await sign({ iat: NOW, exp: NOW + 600 })}`)).subject).toBe('u1');
  });
});

describe('AUTH_MAX_TOKEN_LIFETIME_SECONDS', () => {
  const base = { AUTH_JWT_SECRET: SECRET, NODE_ENV: 'test' };
  it('defaults to a day', () => {
    const auth = loadConfig(base).auth;
    expect(auth.mode === 'jwt' && auth.maxTokenLifetimeSeconds).toBe(DAY);
  });
  it('takes 60 s to 30 days, and names the bounds otherwise', () => {
    const auth = loadConfig({ ...base, AUTH_MAX_TOKEN_LIFETIME_SECONDS: '900' }).auth;
    expect(auth.mode === 'jwt' && auth.maxTokenLifetimeSeconds).toBe(900);
    for (const bad of ['0', '59', '2592001', 'forever', '-1']) {
      expect(() => loadConfig({ ...base, AUTH_MAX_TOKEN_LIFETIME_SECONDS: bad })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ...base, AUTH_MAX_TOKEN_LIFETIME_SECONDS: '0' })).toThrow(
      /AUTH_MAX_TOKEN_LIFETIME_SECONDS must be a whole number from 60 to 2592000/,
    );
  });
});

describe('npm run token', () => {
  const cli = fileURLToPath(new URL('../../src/cli/token.ts', import.meta.url));
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      env: { ...process.env, AUTH_JWT_SECRET: SECRET, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('refuses to mint a token the gateway would refuse as too long-lived', () => {
    const refused = run(['--sub', 'u1', '--ttl', String(DAY + 1)]);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(
      `--ttl must be at most AUTH_MAX_TOKEN_LIFETIME_SECONDS (${DAY}), but got: ${DAY + 1}`,
    );
    expect(run(['--sub', 'u1', '--ttl', '7200'], { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' }).status).toBe(2);
    const minted = run(['--sub', 'u1', '--ttl', String(DAY)]);
    expect(minted.status).toBe(0);
    expect(minted.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  }, 60_000);
});
