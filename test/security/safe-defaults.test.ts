/**
 * Safe when forgotten: a gateway started without authentication listens on loopback only unless it is told that open
 * access is intended (ALLOW_UNAUTHENTICATED=true), as Redis's protected mode does; a public HOST without either is a
 * configuration error; production needs authentication whatever else is set; and the start-up line says which.
 * NODE_ENV unset (the easiest thing to forget) is development, and so, without auth, loopback only.
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { networkInterfaces } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, isLoopback, loadConfig } from '../../src/config.js';
import { startGatewayProcess } from '../support/gateway.js';
import { Cleanups } from '../gateway/helpers.js';
import { SECRET, gql } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

describe('HOST and ALLOW_UNAUTHENTICATED (config)', () => {
  const cases: Array<[string, Record<string, string>, string | RegExp]> = [
    ['no auth, nothing set → 127.0.0.1', {}, '127.0.0.1'],
    ['no auth, NODE_ENV unset → 127.0.0.1', { NODE_ENV: '' }, '127.0.0.1'],
    ['no auth, NODE_ENV=development → 127.0.0.1', { NODE_ENV: 'development' }, '127.0.0.1'],
    ['no auth, HOST=localhost → localhost', { HOST: 'localhost' }, 'localhost'],
    ['no auth, HOST=::1 → ::1', { HOST: '::1' }, '::1'],
    ['no auth, HOST=127.0.0.2 → 127.0.0.2', { HOST: '127.0.0.2' }, '127.0.0.2'],
    [
      'no auth, HOST=0.0.0.0 → refused',
      { HOST: '0.0.0.0' },
      /HOST=0\.0\.0\.0 serves other machines, but no authentication is configured.*ALLOW_UNAUTHENTICATED=true/,
    ],
    ['no auth, HOST=:: → refused', { HOST: '::' }, /no authentication is configured/],
    ['no auth, HOST=10.0.0.5 → refused', { HOST: '10.0.0.5' }, /no authentication is configured/],
    ['no auth, ALLOW_UNAUTHENTICATED=true → 0.0.0.0', { ALLOW_UNAUTHENTICATED: 'true' }, '0.0.0.0'],
    [
      'no auth, ALLOW_UNAUTHENTICATED=true, HOST=10.0.0.5 → 10.0.0.5',
      { ALLOW_UNAUTHENTICATED: 'true', HOST: '10.0.0.5' },
      '10.0.0.5',
    ],
    [
      'no auth, ALLOW_UNAUTHENTICATED=false, HOST=0.0.0.0 → refused',
      { ALLOW_UNAUTHENTICATED: 'false', HOST: '0.0.0.0' },
      /no authentication is configured/,
    ],
    [
      'no auth, ALLOW_UNAUTHENTICATED=yes → refused (true or false only)',
      { ALLOW_UNAUTHENTICATED: 'yes' },
      /ALLOW_UNAUTHENTICATED must be true or false/,
    ],
    ['auth → 0.0.0.0', { AUTH_JWT_SECRET: SECRET }, '0.0.0.0'],
    ['auth, NODE_ENV unset → 0.0.0.0', { AUTH_JWT_SECRET: SECRET, NODE_ENV: '' }, '0.0.0.0'],
    ['production with auth → 0.0.0.0', { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }, '0.0.0.0'],
    ['production without auth → refused', { NODE_ENV: 'production' }, /NODE_ENV=production needs authentication/],
    [
      'production without auth, ALLOW_UNAUTHENTICATED=true → still refused',
      { NODE_ENV: 'production', ALLOW_UNAUTHENTICATED: 'true' },
      /NODE_ENV=production needs authentication/,
    ],
  ];
  for (const [label, env, expected] of cases) {
    it(label, () => {
      const load = () => loadConfig({ NODE_ENV: 'test', ...env });
      if (typeof expected === 'string') expect(load().host).toBe(expected);
      else {
        expect(load).toThrow(ConfigError);
        expect(load).toThrow(expected);
      }
    });
  }

  it('unset NODE_ENV means development', () => {
    expect(loadConfig({}).nodeEnv).toBe('development');
    expect(loadConfig({}).host).toBe('127.0.0.1');
  });

  it('isLoopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '127.0.0.1.nip.io', '1270.0.0.1'])
      expect(isLoopback(host), host).toBe(false);
  });
});

describe('the gateway process', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  function listeningLine(output: string): { access?: string; nodeEnv?: string; url?: string } | undefined {
    return output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; access?: string; nodeEnv?: string; url?: string })
      .find((line) => line.msg === 'recs-gateway listening');
  }

  it('NODE_ENV and HOST unset, no auth: listens on 127.0.0.1 only, and the start-up line says so', async () => {
    const gateway = await startGatewayProcess({
      NODE_ENV: '',
      HOST: '',
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: '',
      ALLOW_UNAUTHENTICATED: '',
    });
    cleanups.add(() => gateway.stop());
    expect((await gql(gateway.url, '{ __typename }')).data).toEqual({ __typename: 'Query' });
    const line = listeningLine(gateway.output());
    expect(line?.access).toBe('no authentication, loopback only (127.0.0.1)');
    expect(line?.nodeEnv).toBe('development (NODE_ENV unset)');
    expect(gateway.output()).toMatch(/AUTHENTICATION IS OFF: listening on loopback \(127\.0\.0\.1\) only/);
    // Another interface of this machine (when it has one) is refused.
    const port = Number(new URL(gateway.url).port);
    for (const address of externalAddresses()) {
      await expect(canConnect(address, port), address).resolves.toBe(false);
    }
  }, 90_000);

  it('HOST=0.0.0.0 without auth: exits with code 2 and says what to set', async () => {
    await expect(
      startGatewayProcess({ NODE_ENV: '', HOST: '0.0.0.0', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '' }),
    ).rejects.toThrow(/exited with 2 before it was ready/);
    // The harness may see the exit before the last output; run it to the end for the message.
    const env = { ...process.env, NODE_ENV: '', HOST: '0.0.0.0', PORT: '0', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '' };
    const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN], { env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'recs-gateway: invalid configuration: HOST=0.0.0.0 serves other machines, but no authentication is configured: set AUTH_JWT_SECRET or AUTH_JWKS_URL, or ALLOW_UNAUTHENTICATED=true if open access is intended',
    );
  }, 90_000);

  it('ALLOW_UNAUTHENTICATED=true: serves every interface and the start-up line says OPEN', async () => {
    const gateway = await startGatewayProcess({
      NODE_ENV: 'development',
      HOST: '',
      AUTH_JWT_SECRET: '',
      AUTH_JWKS_URL: '',
      ALLOW_UNAUTHENTICATED: 'true',
    });
    cleanups.add(() => gateway.stop());
    expect(listeningLine(gateway.output())?.access).toBe(
      'OPEN: no authentication, ALLOW_UNAUTHENTICATED=true, on 0.0.0.0',
    );
    expect(gateway.output()).toMatch(/open access is on \(ALLOW_UNAUTHENTICATED=true\)/);
    const port = Number(new URL(gateway.url).port);
    for (const address of externalAddresses()) await expect(canConnect(address, port), address).resolves.toBe(true);
  }, 90_000);

  it('with auth: the start-up line names the verifier', async () => {
    const gateway = await startGatewayProcess({ NODE_ENV: 'development', HOST: '127.0.0.1', AUTH_JWT_SECRET: SECRET });
    cleanups.add(() => gateway.stop());
    expect(listeningLine(gateway.output())?.access).toBe('bearer tokens required (AUTH_JWT_SECRET) on 127.0.0.1');
    expect((await gql(gateway.url, '{ __typename }')).status).toBe(401);
  }, 90_000);
});

function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)
    .map((entry) => (entry as { address: string }).address);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
