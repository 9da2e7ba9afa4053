/**
 * At start-up with Redis the gateway reads `maxmemory-policy` (CONFIG GET): a policy that may evict order records
 * (anything but `noeviction` under a `maxmemory` limit; `volatile-*` too, since order records carry a TTL) stops a
 * production gateway with exit code 2 and says what to set, and is a warning in development. CONFIG refused (renamed
 * or forbidden, as managed services do) or Redis down at start: a warning, never a crash.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, startGatewayProcess } from '../support/gateway.js';
import { startRedis } from '../support/redis-server.js';
import { freePort } from '../support/free-port.js';
import { captureLogs } from '../support/log-capture.js';
import { Cleanups } from '../gateway/helpers.js';
import { evictionAdvice, judgeEvictionPolicy } from '../../src/cache/eviction-policy.js';
import { ConfigError } from '../../src/config.js';
import { SECRET } from './helpers.js';

describe('judgeEvictionPolicy', () => {
  const cases: Array<[string, number, 'safe' | 'unsafe']> = [
    ['noeviction', 40 * 1024 * 1024, 'safe'],
    ['noeviction', 0, 'safe'],
    ['allkeys-lru', 0, 'safe'],
    ['allkeys-lru', 40 * 1024 * 1024, 'unsafe'],
    ['allkeys-lfu', 1, 'unsafe'],
    ['allkeys-random', 1, 'unsafe'],
    ['volatile-lru', 1, 'unsafe'],
    ['volatile-lfu', 1, 'unsafe'],
    ['volatile-random', 1, 'unsafe'],
    ['volatile-ttl', 1, 'unsafe'],
  ];
  for (const [policy, maxmemory, verdict] of cases) {
    it(`${policy} with maxmemory ${maxmemory} → ${verdict}`, () =>
      expect(judgeEvictionPolicy(policy, maxmemory)).toBe(verdict));
  }
  it('advice names the policy and what to set; nothing to say when safe', () => {
    expect(evictionAdvice({ verdict: 'safe', policy: 'noeviction', maxmemory: 1 })).toBeUndefined();
    expect(evictionAdvice({ verdict: 'unsafe', policy: 'volatile-lru', maxmemory: 5 })).toMatch(
      /maxmemory-policy volatile-lru with maxmemory 5.*Set maxmemory-policy noeviction/,
    );
    expect(evictionAdvice({ verdict: 'unknown', reason: 'ERR unknown command' })).toMatch(
      /could not read Redis's maxmemory-policy \(ERR unknown command\); make sure it is noeviction/,
    );
  });
});

describe('at start-up, against real redis-servers', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  async function redisWith(args: string[]) {
    const redis = await startRedis({ args });
    cleanups.add(() => redis.stop());
    return redis;
  }

  for (const policy of ['allkeys-lru', 'volatile-ttl']) {
    it(`production refuses maxmemory-policy ${policy} under maxmemory 40mb, saying what to set`, async () => {
      const redis = await redisWith(['--maxmemory', '40mb', '--maxmemory-policy', policy]);
      const starting = startGateway({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url });
      await expect(starting).rejects.toThrow(ConfigError);
      await expect(starting).rejects.toThrow(
        new RegExp(
          `NODE_ENV=production refuses a Redis that may evict order records: Redis has maxmemory-policy ${policy} with maxmemory 41943040.*Set maxmemory-policy noeviction`,
        ),
      );
    });
  }

  it('the production process exits with code 2', async () => {
    const redis = await redisWith(['--maxmemory', '40mb', '--maxmemory-policy', 'allkeys-lru']);
    await expect(
      startGatewayProcess({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url }),
    ).rejects.toThrow(/exited with 2 before it was ready/);
  }, 60_000);

  it('development starts on such a Redis, with one warning saying what to set', async () => {
    const redis = await redisWith(['--maxmemory', '40mb', '--maxmemory-policy', 'allkeys-lru']);
    const logs = captureLogs('warn');
    const gateway = await startGateway(
      { NODE_ENV: 'development', AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url },
      { logger: logs.logger },
    );
    cleanups.add(() => gateway.close());
    const warnings = logs.lines().filter((line) => /maxmemory-policy/.test(line.msg ?? ''));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(40);
    expect(warnings[0]?.msg).toMatch(
      /Redis has maxmemory-policy allkeys-lru with maxmemory 41943040.*Set maxmemory-policy noeviction/,
    );
  });

  it('noeviction (and any policy without maxmemory) starts in production without a word', async () => {
    for (const args of [
      ['--maxmemory', '40mb', '--maxmemory-policy', 'noeviction'],
      ['--maxmemory-policy', 'allkeys-lru'],
    ]) {
      const redis = await redisWith(args);
      const logs = captureLogs('warn');
      const gateway = await startGateway(
        { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url },
        { logger: logs.logger },
      );
      cleanups.add(() => gateway.close());
      expect(logs.text(), args.join(' ')).not.toMatch(/maxmemory/);
    }
  });

  it('CONFIG refused (renamed away): production starts, and warns that the policy could not be checked', async () => {
    const redis = await redisWith(['--rename-command', 'CONFIG', '']);
    const logs = captureLogs('warn');
    const gateway = await startGateway(
      { NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET, REDIS_URL: redis.url },
      { logger: logs.logger },
    );
    cleanups.add(() => gateway.close());
    expect(logs.text()).toMatch(
      /could not read Redis's maxmemory-policy \(.*unknown command.*\); make sure it is noeviction/i,
    );
  });

  it('Redis down at start: starts, and warns that the policy could not be checked', async () => {
    const port = await freePort();
    const logs = captureLogs('warn');
    const gateway = await startGateway(
      {
        NODE_ENV: 'production',
        AUTH_JWT_SECRET: SECRET,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        REDIS_TIMEOUT_MS: '300',
      },
      { logger: logs.logger },
    );
    cleanups.add(() => gateway.close());
    expect(logs.text()).toMatch(/could not read Redis's maxmemory-policy/);
  });
});
