import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';

const run = promisify(execFile);

async function purge(env: Record<string, string>, ...args: string[]) {
  return run('npm', ['run', '--silent', 'purge', '--', ...args], { env: { ...process.env, ...env } });
}

describe('npm run purge', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('removes every list of one version in SCAN batches and leaves everything else alone', async () => {
    const lists = Array.from({ length: 1200 }, (_, user) => [`recs:{u${user}}:v1`, 'x']).flat();
    await redisCli(redis.port, 'MSET', ...lists);
    await redisCli(redis.port, 'SET', 'recs:{u1}:v1:lease', 'token');
    await redisCli(redis.port, 'SET', 'recs:{u1}:v2', 'keep');
    await redisCli(redis.port, 'SET', 'recs:{u1}:state', '{"gen":1}');
    await redisCli(redis.port, 'SET', 'recs:{u1}:v10', 'keep');
    await redisCli(redis.port, 'SET', 'other-app:recs:{u1}:v1', 'keep');

    await redisCli(redis.port, 'CONFIG', 'RESETSTAT');
    const { stdout } = await purge({ REDIS_URL: redis.url }, '--version', 'v1', '--batch', '100');
    expect(JSON.parse(stdout)).toEqual({ version: 'v1', removed: 1201 });
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(stats).not.toContain('cmdstat_keys:');
    expect(stats).not.toContain('cmdstat_flushdb:');
    expect(stats).toMatch(/cmdstat_scan:calls=\d+/);
    expect(stats).toContain('cmdstat_unlink:');
    // The test itself may use KEYS on its private server, after the purge's command counts were taken.
    const left = (await redisCli(redis.port, 'KEYS', '*')).split('\n').sort();
    expect(left).toEqual(['other-app:recs:{u1}:v1', 'recs:{u1}:state', 'recs:{u1}:v10', 'recs:{u1}:v2']);
  });

  it('honours CACHE_KEY_PREFIX', async () => {
    await redisCli(redis.port, 'SET', 'prod:recs:{a}:v3', 'x');
    await redisCli(redis.port, 'SET', 'recs:{a}:v3', 'keep');
    const { stdout } = await purge({ REDIS_URL: redis.url, CACHE_KEY_PREFIX: 'prod:' }, '--version', 'v3');
    expect(JSON.parse(stdout)).toEqual({ version: 'v3', removed: 1 });
    expect(await redisCli(redis.port, 'EXISTS', 'recs:{a}:v3')).toBe('1');
  });

  it('refuses to run without Redis or without a version, with a usage message', async () => {
    await expect(purge({ REDIS_URL: '' }, '--version', 'v1')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('REDIS_URL') as unknown,
    });
    await expect(purge({ REDIS_URL: redis.url })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage') as unknown,
    });
  });
});
