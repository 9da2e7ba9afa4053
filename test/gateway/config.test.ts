/**
 * Configuration: `loadConfig` defaults and rejections as a pure function, and the real entry point refusing to
 * start (exit code 2, a message naming the variable and the bad value) when run as its own process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';

describe('loadConfig defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.modelVersion).toBe('v1');
    expect(config.cacheTtlSeconds).toBe(600);
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisClusterUrls).toEqual([]);
    expect(config.keyPrefix).toBe('');
  });

  it('empty strings count as unset', () => {
    const config = loadConfig({ PORT: '', MODEL_VERSION: '', CACHE_TTL_SECONDS: '', REDIS_URL: '' });
    expect(config.port).toBe(4000);
    expect(config.modelVersion).toBe('v1');
    expect(config.cacheTtlSeconds).toBe(600);
    expect(config.redisUrl).toBeUndefined();
  });

  it('good values are read', () => {
    const config = loadConfig({
      PORT: '8080',
      MODEL_VERSION: 'v2.1-rc_1',
      CACHE_TTL_SECONDS: '60',
      CACHE_GRACE_SECONDS: '0',
      REDIS_URL: 'rediss://cache.internal:6380',
      REDIS_CLUSTER_URLS: 'redis://a:7000, redis://b:7001',
      CACHE_KEY_PREFIX: 'prod:',
      REDIS_TIMEOUT_MS: '300',
      RECS_LIST_SIZE: '50',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      modelVersion: 'v2.1-rc_1',
      cacheTtlSeconds: 60,
      cacheGraceSeconds: 0,
      redisUrl: 'rediss://cache.internal:6380',
      redisClusterUrls: ['redis://a:7000', 'redis://b:7001'],
      keyPrefix: 'prod:',
      redisTimeoutMs: 300,
      listSize: 50,
      nodeEnv: 'test',
      logLevel: 'warn',
    });
  });

  it('bounds the in-memory store by bytes: 128 MiB unless MEMORY_STORE_MAX_BYTES says otherwise', () => {
    expect(loadConfig({}).memoryStoreMaxBytes).toBe(134_217_728);
    expect(loadConfig({ MEMORY_STORE_MAX_BYTES: '1073741824' }).memoryStoreMaxBytes).toBe(1_073_741_824);
  });

  it('does not read process.env when given an environment', () => {
    const saved = process.env.CACHE_TTL_SECONDS;
    process.env.CACHE_TTL_SECONDS = 'abc';
    try {
      expect(loadConfig({}).cacheTtlSeconds).toBe(600);
    } finally {
      if (saved === undefined) delete process.env.CACHE_TTL_SECONDS;
      else process.env.CACHE_TTL_SECONDS = saved;
    }
  });
});

describe('loadConfig rejects bad values, naming the variable and the value', () => {
  // [variable, value, the bad part the message must quote (defaults to the whole value)]
  const bad: Array<[string, string, string?]> = [
    ['CACHE_TTL_SECONDS', 'abc'],
    ['CACHE_TTL_SECONDS', '0'],
    ['CACHE_TTL_SECONDS', '-5'],
    ['CACHE_TTL_SECONDS', '1.5'],
    ['CACHE_TTL_SECONDS', '1e3'],
    ['CACHE_TTL_SECONDS', '604801'],
    ['CACHE_GRACE_SECONDS', 'soon'],
    ['PORT', '65536'],
    ['PORT', 'http'],
    ['RECS_LIST_SIZE', '0'],
    ['REDIS_TIMEOUT_MS', '5'],
    ['MEMORY_STORE_MAX_BYTES', '1000'],
    ['MEMORY_STORE_MAX_BYTES', '128MB'],
    ['REDIS_URL', 'http://x'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_CLUSTER_URLS', 'redis://a:7000,http://b:7001', 'http://b:7001'],
    ['MODEL_VERSION', 'v 2'],
    ['MODEL_VERSION', 'v{2}'],
    ['MODEL_VERSION', 'v'.repeat(65)],
    ['CACHE_KEY_PREFIX', '{prod}'],
    ['CACHE_KEY_PREFIX', 'pro d'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
  ];

  for (const [name, value, shown = value] of bad) {
    it(`${name}=${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`, () => {
      let thrown: unknown;
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      const message = (thrown as ConfigError).message;
      expect(message.startsWith(name)).toBe(true);
      expect(message).toContain(JSON.stringify(shown));
    });
  }
});

// Each case spawns `node --import tsx src/main.ts`, which takes a few seconds on a loaded machine.
describe('the gateway process refuses a bad configuration', { timeout: 60_000 }, () => {
  const started: GatewayProcess[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((gateway) => gateway.stop()));
  });

  async function expectStartupFailure(env: Record<string, string>, expected: RegExp[]): Promise<void> {
    let failure: unknown;
    try {
      // If it starts anyway, stop it after the test.
      started.push(await startGatewayProcess(env));
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the gateway started despite the bad configuration').toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/exited with 2 before it was ready/);
    for (const pattern of expected) expect(message).toMatch(pattern);
  }

  it('CACHE_TTL_SECONDS=abc → exit code 2, naming the variable and the value', async () => {
    await expectStartupFailure({ CACHE_TTL_SECONDS: 'abc' }, [
      /recs-gateway: invalid configuration: CACHE_TTL_SECONDS/,
      /"abc"/,
    ]);
  });

  it('REDIS_URL=http://x → exit code 2, naming the variable and the value', async () => {
    await expectStartupFailure({ REDIS_URL: 'http://x' }, [
      /recs-gateway: invalid configuration: REDIS_URL/,
      /"http:\/\/x"/,
    ]);
  });
});
