/**
 * Authentication and per-user isolation over real HTTP: bearer JWTs verified with an HS256 secret or
 * a JWKS, scopes from the `scope` claim, FORBIDDEN that says nothing about the other user, start-up refusal in
 * production without auth, introspection off in production, the development warning, and `npm run token`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startGatewayProcess } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { Cleanups, CountingModel } from '../gateway/helpers.js';
import {
  AUDIENCE,
  ISSUER,
  PURCHASE_MUTATION,
  PURGE_MUTATION,
  READ_QUERY,
  SECRET,
  bearer,
  forgedToken,
  gql,
  hsToken,
  tamperedSignature,
  unsignedToken,
} from './helpers.js';
import type { RawResponse } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

function expectUnauthenticated(response: RawResponse, label: string): void {
  expect(response.status, `${label}: ${response.text.slice(0, 300)}`).toBe(401);
  expect(response.code, label).toBe('UNAUTHENTICATED');
  expect(response.errors, label).toHaveLength(1);
  // A request error: nothing executed, so no `data` entry at all.
  expect(response.json && 'data' in response.json, label).toBe(false);
}

describe('HS256 secret (AUTH_JWT_SECRET, with issuer and audience configured)', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    model = CountingModel.builtin('v1');
    gateway = await startGateway(
      { AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
      { model },
    );
    cleanups.add(() => gateway.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('no token → UNAUTHENTICATED with HTTP 401, and nothing runs', async () => {
    model.reset();
    const response = await gql(gateway.url, READ_QUERY, { userId: 'u42' });
    expectUnauthenticated(response, 'no token');
    expect(response.errors[0]?.message).toMatch(/bearer token is required/);
    expect(model.scoreCalls).toEqual([]);
  });

  it('a user token reads its own list', async () => {
    const response = await gql(
      gateway.url,
      READ_QUERY,
      { userId: 'u42', first: 3 },
      { token: await hsToken({ sub: 'u42' }) },
    );
    expect(response.status).toBe(200);
    expect(response.errors).toEqual([]);
    expect(response.data).toMatchObject({ recommendations: { userId: 'u42' } });
  });

  it("a user token asking for another user's list → FORBIDDEN that does not name the user or tell whether the list exists", async () => {
    const victim = 'victim-8d41c2';
    const neverSeen = 'nobody-5e0f77';
    // The victim has a cached list (read by a trusted back end); `neverSeen` has nothing at all.
    const primed = await gql(
      gateway.url,
      READ_QUERY,
      { userId: victim },
      { token: await hsToken({ sub: 'backend', scope: 'recommendations:read:any' }) },
    );
    expect(primed.errors).toEqual([]);
    model.reset();
    const token = await hsToken({ sub: 'u42' });
    const answers: RawResponse[] = [];
    for (const userId of [victim, neverSeen]) {
      const response = await gql(gateway.url, READ_QUERY, { userId }, { token });
      expect(response.status).toBe(200);
      expect(response.code).toBe('FORBIDDEN');
      expect(response.data).toBeNull();
      expect(response.text).not.toContain(userId);
      answers.push(response);
    }
    // Same message for a user with a cached list and for one who was never seen: nothing to tell them apart.
    expect(answers[0]?.errors[0]?.message).toBe(answers[1]?.errors[0]?.message);
    expect(model.scoreCalls).toEqual([]);
  });

  it('recommendations:read:any reads any user', async () => {
    const token = await hsToken({ sub: 'backend', scope: 'recommendations:read:any' });
    for (const userId of ['someone-1', 'someone-2']) {
      const response = await gql(gateway.url, READ_QUERY, { userId }, { token });
      expect(response.errors).toEqual([]);
      expect(response.data).toMatchObject({ recommendations: { userId } });
    }
  });

  it('recordPurchase needs purchases:write: a user token (even for itself) is FORBIDDEN and records nothing', async () => {
    model.reset();
    const input = { userId: 'u42', itemId: 'i1', orderId: 'order-auth-1' };
    for (const token of [
      await hsToken({ sub: 'u42' }),
      await hsToken({ sub: 'backend', scope: 'recommendations:read:any' }),
    ]) {
      const refused = await gql(gateway.url, PURCHASE_MUTATION, { input }, { token });
      expect(refused.status).toBe(200);
      expect(refused.code).toBe('FORBIDDEN');
      expect(refused.data).toBeNull();
    }
    expect(model.purchases).toEqual([]);
    const checkout = await hsToken({ sub: 'checkout', scope: 'purchases:write' });
    const accepted = await gql(gateway.url, PURCHASE_MUTATION, { input }, { token: checkout });
    expect(accepted.errors).toEqual([]);
    expect(accepted.data).toMatchObject({ recordPurchase: { orderId: 'order-auth-1', duplicate: false } });
    expect(model.purchases).toEqual([{ userId: 'u42', itemId: 'i1' }]);
  });

  it('purgeModelVersion needs admin', async () => {
    for (const scope of [undefined, 'purchases:write recommendations:read:any']) {
      const refused = await gql(
        gateway.url,
        PURGE_MUTATION,
        { v: 'v0' },
        { token: await hsToken({ sub: 'ops', scope }) },
      );
      expect(refused.code, String(scope)).toBe('FORBIDDEN');
      expect(refused.data).toBeNull();
    }
    const allowed = await gql(
      gateway.url,
      PURGE_MUTATION,
      { v: 'v0' },
      { token: await hsToken({ sub: 'ops', scope: 'admin' }) },
    );
    expect(allowed.errors).toEqual([]);
    expect(allowed.data).toEqual({ purgeModelVersion: { modelVersion: 'v0', removed: 0 } });
  });

  it('scopes are the space-separated `scope` claim: "admin" inside another word, or in an array claim, grants nothing', async () => {
    for (const extra of [{ scope: 'administrator' }, { scope: ['admin'] }, { scp: 'admin' }, { scope: 'admin:read' }]) {
      const response = await gql(
        gateway.url,
        PURGE_MUTATION,
        { v: 'v0' },
        { token: await hsToken({ sub: 'ops', extra }) },
      );
      expect(response.code, JSON.stringify(extra)).toBe('FORBIDDEN');
    }
  });

  describe('tokens and headers that must not authenticate', () => {
    const cases: Array<[string, () => Promise<Record<string, string>>]> = [
      ['an expired token', async () => bearer(await hsToken({ expiresIn: -3600 }))],
      [
        'a token without exp (would never expire)',
        async () => bearer(await hsToken({ noExpiry: true, scope: 'admin' })),
      ],
      ['a token without exp or iat', async () => bearer(await hsToken({ noExpiry: true, noIssuedAt: true }))],
      [
        'a token valid for a year (over the 24 h maximum lifetime)',
        async () => bearer(await hsToken({ expiresIn: 365 * 24 * 3600 })),
      ],
      [
        'a token issued two days ago with an hour left (48 h lifetime)',
        async () => bearer(await hsToken({ issuedAt: -2 * 24 * 3600, expiresIn: 3600 })),
      ],
      ['a token that is not valid yet (nbf in an hour)', async () => bearer(await hsToken({ notBefore: 3600 }))],
      ['a token with its signature changed', async () => bearer(tamperedSignature(await hsToken({ scope: 'admin' })))],
      [
        'a token whose payload was swapped (sub and scope forged)',
        async () => bearer(forgedToken(await hsToken({ sub: 'u42' }), 'ops', 'admin')),
      ],
      ['an alg: none token', async () => bearer(unsignedToken('ops', 'admin'))],
      [
        'a token signed with a different HS key',
        async () => bearer(await hsToken({ secret: 'another-secret-that-is-32-bytes-long!!', scope: 'admin' })),
      ],
      [
        'an HS512 token signed with the right secret (algorithm not allowed)',
        async () => bearer(await hsToken({ alg: 'HS512', scope: 'admin' })),
      ],
      ['a token from another issuer', async () => bearer(await hsToken({ issuer: 'https://evil.example/' }))],
      ['a token for another audience', async () => bearer(await hsToken({ audience: 'another-api' }))],
      ['a token without issuer and audience', async () => bearer(await hsToken({ issuer: '', audience: '' }))],
      ['a token without a subject', async () => bearer(await hsToken({ sub: '' }))],
      ['Basic credentials', async () => ({ authorization: `Basic ${Buffer.from('u42:hunter2').toString('base64')}` })],
      ['Bearer with garbage', async () => ({ authorization: 'Bearer not-a-jwt' })],
      ['Bearer with three garbage segments', async () => ({ authorization: 'Bearer aaa.bbb.ccc' })],
      ['Bearer and nothing else', async () => ({ authorization: 'Bearer ' })],
      ['a bare token without the Bearer scheme', async () => ({ authorization: await hsToken() })],
      ['two bearer tokens', async () => ({ authorization: `Bearer ${await hsToken()} Bearer ${await hsToken()}` })],
      ['a 9,000-character token', async () => ({ authorization: `Bearer ${'a'.repeat(9_000)}` })],
      ['a token with trailing junk', async () => ({ authorization: `Bearer ${await hsToken()}.extra` })],
    ];
    for (const [label, headers] of cases) {
      it(`${label} → UNAUTHENTICATED (401)`, async () => {
        model.reset();
        const response = await gql(gateway.url, READ_QUERY, { userId: 'u42' }, { headers: await headers() });
        expectUnauthenticated(response, label);
        expect(model.scoreCalls).toEqual([]);
      });
    }
  });

  it('an expired token is told so; every other failure gets one generic reason (which check failed stays on the server)', async () => {
    const expired = await gql(gateway.url, READ_QUERY, { userId: 'u42' }, { token: await hsToken({ expiresIn: -60 }) });
    expect(expired.errors[0]?.message).toBe('Unauthenticated: the token has expired');
    const messages = new Set<string>();
    for (const token of [
      await hsToken({ issuer: 'https://evil.example/' }),
      await hsToken({ audience: 'another-api' }),
      await hsToken({ secret: 'another-secret-that-is-32-bytes-long!!' }),
      unsignedToken(),
    ]) {
      messages.add((await gql(gateway.url, READ_QUERY, { userId: 'u42' }, { token })).errors[0]?.message ?? '');
    }
    expect([...messages]).toEqual(['Unauthenticated: the token is not valid']);
  });
});

describe('JWKS (AUTH_JWKS_URL), served by a local HTTP server', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let jwksRequests = 0;
  let es: Awaited<ReturnType<typeof generateKeyPair>>;
  let rs: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    es = await generateKeyPair('ES256', { extractable: true });
    rs = await generateKeyPair('RS256', { extractable: true });
    const keys: JWK[] = [
      { ...(await exportJWK(es.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rs.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' },
    ];
    const server: Server = createServer((request, response) => {
      jwksRequests += 1;
      if (request.url !== '/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no JWKS address');
    gateway = await startGateway({
      AUTH_JWKS_URL: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
    });
    cleanups.add(() => gateway.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  async function signed(
    alg: 'ES256' | 'RS256',
    kid: string,
    key: Parameters<SignJWT['sign']>[0],
    sub = 'u42',
  ): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject(sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);
  }

  it('accepts a valid ES256 token and a valid RS256 token (keys fetched from the JWKS)', async () => {
    for (const [alg, kid, key] of [
      ['ES256', 'es-1', es.privateKey],
      ['RS256', 'rs-1', rs.privateKey],
    ] as const) {
      const response = await gql(
        gateway.url,
        READ_QUERY,
        { userId: 'u42', first: 2 },
        { token: await signed(alg, kid, key) },
      );
      expect(response.errors, alg).toEqual([]);
      expect(response.data, alg).toMatchObject({ recommendations: { userId: 'u42' } });
    }
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('a user token from the JWKS is still held to its own list', async () => {
    const response = await gql(
      gateway.url,
      READ_QUERY,
      { userId: 'someone-else' },
      { token: await signed('ES256', 'es-1', es.privateKey) },
    );
    expect(response.code).toBe('FORBIDDEN');
  });

  it('rejects algorithm confusion: HS256 tokens "signed" with the public key (PEM, JWK JSON, raw x) as the secret', async () => {
    const esJwk = await exportJWK(es.publicKey);
    const secrets = [
      await exportSPKI(es.publicKey),
      await exportSPKI(rs.publicKey),
      JSON.stringify(esJwk),
      esJwk.x ?? '',
    ];
    for (const [index, secret] of secrets.entries()) {
      for (const kid of ['es-1', 'rs-1', undefined]) {
        const token = await new SignJWT({ scope: 'admin' })
          .setProtectedHeader(kid === undefined ? { alg: 'HS256' } : { alg: 'HS256', kid })
          .setSubject('ops')
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(secret));
        expectUnauthenticated(
          await gql(gateway.url, PURGE_MUTATION, { v: 'v0' }, { token }),
          `secret #${index}, kid ${String(kid)}`,
        );
      }
    }
  });

  it('rejects a token signed by another ES256 key under a published kid, and alg: none', async () => {
    const stranger = await generateKeyPair('ES256');
    expectUnauthenticated(
      await gql(
        gateway.url,
        READ_QUERY,
        { userId: 'u42' },
        { token: await signed('ES256', 'es-1', stranger.privateKey) },
      ),
      'foreign key',
    );
    expectUnauthenticated(
      await gql(
        gateway.url,
        READ_QUERY,
        { userId: 'u42' },
        { token: await signed('ES256', 'no-such-kid', es.privateKey) },
      ),
      'unknown kid',
    );
    expectUnauthenticated(
      await gql(gateway.url, READ_QUERY, { userId: 'u42' }, { token: unsignedToken() }),
      'alg none',
    );
  });
});

describe('start-up and mode', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  it('NODE_ENV=production without auth refuses to start: exit code 2 and a message naming what to set', async () => {
    const env = { NODE_ENV: 'production', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '' };
    await expect(startGatewayProcess(env)).rejects.toThrow(/exited with 2 before it was ready/);
    // The harness may see the exit before the last output; read it to the end here.
    const { code, output } = await runToExit(process.execPath, ['--import', 'tsx', MAIN], {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
    });
    expect(code).toBe(2);
    expect(output).toContain('recs-gateway: invalid configuration: NODE_ENV=production needs authentication');
    expect(output).toMatch(/AUTH_JWT_SECRET/);
    expect(output).toMatch(/AUTH_JWKS_URL/);
  }, 90_000);

  it('production with auth: introspection is off (a validation error, nothing disclosed), unless GRAPHQL_INTROSPECTION=true', async () => {
    const token = await hsToken({ sub: 'dev-tools', scope: 'recommendations:read:any' });
    const introspection = '{ __schema { queryType { name } } }';
    const off = await startGateway({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET });
    cleanups.add(() => off.close());
    const refused = await gql(off.url, introspection, undefined, { token });
    expect(refused.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.status).toBe(400);
    expect(refused.json && 'data' in refused.json).toBe(false);
    expect(refused.text).not.toContain('RecommendationList');
    // __type is introspection too.
    expect((await gql(off.url, '{ __type(name: "Query") { name } }', undefined, { token })).code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    // __typename is not introspection and still works.
    expect((await gql(off.url, '{ __typename }', undefined, { token })).data).toEqual({ __typename: 'Query' });

    const on = await startGateway({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, GRAPHQL_INTROSPECTION: 'true' });
    cleanups.add(() => on.close());
    const allowed = await gql(on.url, introspection, undefined, { token });
    expect(allowed.errors).toEqual([]);
    expect(allowed.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('development without auth starts, serves anyone, and logs a loud warning; with auth there is no such warning', async () => {
    const open = await startGatewayProcess({ NODE_ENV: 'development', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '' });
    cleanups.add(() => open.stop());
    const response = await gql(open.url, READ_QUERY, { userId: 'anyone', first: 1 });
    expect(response.errors).toEqual([]);
    const warning = open
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((line) => /AUTHENTICATION IS OFF/.test(line.msg));
    expect(warning, open.output().slice(0, 2000)).toBeDefined();
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toMatch(/AUTH_JWT_SECRET or AUTH_JWKS_URL/);

    const secured = await startGatewayProcess({ NODE_ENV: 'development', AUTH_JWT_SECRET: SECRET });
    cleanups.add(() => secured.stop());
    expect((await gql(secured.url, READ_QUERY, { userId: 'anyone' })).status).toBe(401);
    expect(secured.output()).toContain('recs-gateway listening');
    expect(secured.output()).not.toMatch(/AUTHENTICATION IS OFF/);
  }, 120_000);

  it('`npm run token` mints a token the gateway accepts, with the scopes, issuer and audience asked for', async () => {
    const gateway = await startGateway({
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
    });
    cleanups.add(() => gateway.close());
    const env = { AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE };
    const user = await mintWithNpm(['--sub', 'u42'], env);
    expect((await gql(gateway.url, READ_QUERY, { userId: 'u42', first: 1 }, { token: user })).errors).toEqual([]);
    expect((await gql(gateway.url, READ_QUERY, { userId: 'u43', first: 1 }, { token: user })).code).toBe('FORBIDDEN');

    const service = await mintWithNpm(['--sub', 'backend', '--scope', 'recommendations:read:any purchases:write'], env);
    expect((await gql(gateway.url, READ_QUERY, { userId: 'u43', first: 1 }, { token: service })).errors).toEqual([]);
    expect((await gql(gateway.url, PURGE_MUTATION, { v: 'v0' }, { token: service })).code).toBe('FORBIDDEN');

    // Minted without the gateway's issuer and audience, the same token is refused.
    const bare = await mintWithNpm(['--sub', 'u42'], { AUTH_JWT_SECRET: SECRET });
    expect((await gql(gateway.url, READ_QUERY, { userId: 'u42' }, { token: bare })).status).toBe(401);

    // No secret: usage on stderr, exit code 2, nothing on stdout.
    const missing = await runToExit('npm', ['run', '--silent', 'token', '--', '--sub', 'u42'], { AUTH_JWT_SECRET: '' });
    expect(missing.code).toBe(2);
    expect(missing.stdout.trim()).toBe('');
    expect(missing.output).toMatch(/AUTH_JWT_SECRET must be set/);
  }, 120_000);
});

async function mintWithNpm(args: string[], env: Record<string, string>): Promise<string> {
  const result = await runToExit('npm', ['run', '--silent', 'token', '--', ...args], {
    AUTH_JWT_ISSUER: '',
    AUTH_JWT_AUDIENCE: '',
    ...env,
  });
  expect(result.code, result.output).toBe(0);
  const token = result.stdout.trim();
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  return token;
}

/** Runs a command to its end (stdio closed), with the test's environment plus `env`. */
function runToExit(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, output });
    });
  });
}
