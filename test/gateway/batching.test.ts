/**
 * Request batching end to end: every `recommendations` field of one GraphQL request reaches the service as one
 * batch, so 50 cold users cost one MGET and one model call, and a warm repeat costs one MGET and no model call.
 * Redis' own INFO commandstats counts the commands; a counting decorator around a real BuiltinModel counts calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postGraphQL } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { commandCalls, redisCli } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, describeBody, startRedisGateway } from './helpers.js';
import type { CountingModel } from './helpers.js';
import type { RecList } from './helpers.js';

const USERS = 50;

/** One operation with one aliased `recommendations` field per user id (ids may repeat). */
function aliasedQuery(userIds: readonly string[]): string {
  const fields = userIds.map(
    (userId, index) =>
      `u${index}: recommendations(userId: "${userId}", first: 3) { userId modelVersion source items { rank item { id } } }`,
  );
  return `query Many {\n  ${fields.join('\n  ')}\n}`;
}

async function runAliased(url: string, userIds: readonly string[]): Promise<RecList[]> {
  const { status, body } = await postGraphQL(url, aliasedQuery(userIds));
  expect(body.errors, describeBody(body)).toBeUndefined();
  expect(status).toBe(200);
  const data = body.data ?? {};
  return userIds.map((_, index) => data[`u${index}`] as RecList);
}

describe('batching: one request, many users', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    // Without the near cache, so that every read reaches Redis as the MGET counted here (with it, below).
    ({ redis, gateway, model } = await startRedisGateway(cleanups, { REDIS_NEAR_CACHE_MS: '0' }));
    // Warm the connection (and the script cache) on an unrelated user, so the counted requests measure only reads.
    await runAliased(gateway.url, ['warm-up']);
  });

  afterAll(async () => {
    await cleanups.run();
  });

  beforeEach(() => {
    model.reset();
  });

  it('50 cold users: exactly 1 MGET and 1 model call with all 50 users; a repeat: 1 more MGET, 0 model calls, all CACHE', async () => {
    const users = Array.from({ length: USERS }, (_, index) => `batch-${index}`);

    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const cold = await runAliased(gateway.url, users);
    const coldStats = await redisCli(redis.port, 'INFO', 'commandstats');

    expect(cold.map((list) => list.userId)).toEqual(users);
    expect(cold.every((list) => list.source === 'MODEL')).toBe(true);
    expect(cold.every((list) => list.items.length === 3)).toBe(true);
    expect(commandCalls(coldStats, 'mget')).toBe(1);
    // (GETs here come from inside the compare-and-set Lua script, which Redis counts too; no assertion on them.)
    expect(model.scoreCalls).toHaveLength(1);
    expect([...(model.scoreCalls[0] ?? [])].sort()).toEqual([...users].sort());

    model.reset();
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const warm = await runAliased(gateway.url, users);
    const warmStats = await redisCli(redis.port, 'INFO', 'commandstats');

    expect(warm.every((list) => list.source === 'CACHE')).toBe(true);
    expect(commandCalls(warmStats, 'mget')).toBe(1);
    expect(commandCalls(warmStats, 'get')).toBe(0);
    // A warm read writes nothing and takes no lease.
    expect(commandCalls(warmStats, 'set')).toBe(0);
    expect(commandCalls(warmStats, 'evalsha') + commandCalls(warmStats, 'eval')).toBe(0);
    expect(model.scoreCalls).toEqual([]);
    warm.forEach((list, index) => expect(list.items).toEqual(cold[index]?.items));
  });

  it('the cold batch writes each user once (one compare-and-set per user)', async () => {
    const users = Array.from({ length: 10 }, (_, index) => `writes-${index}`);
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    await runAliased(gateway.url, users);
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(commandCalls(stats, 'evalsha')).toBe(users.length);
    expect(Number(await redisCli(redis.port, 'EXISTS', ...users.map((user) => `recs:{${user}}:v1`)))).toBe(
      users.length,
    );
  });

  it('duplicate aliases for the same user: the model sees that user once, and every alias gets the same list', async () => {
    const users = ['dup-a', 'dup-b', 'dup-a', 'dup-a', 'dup-b', 'dup-c'];
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const lists = await runAliased(gateway.url, users);
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');

    expect(model.scoreCalls).toHaveLength(1);
    expect([...(model.scoreCalls[0] ?? [])].sort()).toEqual(['dup-a', 'dup-b', 'dup-c']);
    expect(commandCalls(stats, 'mget')).toBe(1);
    expect(lists.map((list) => list.userId)).toEqual(users);
    expect(lists[2]).toEqual(lists[0]);
    expect(lists[3]).toEqual(lists[0]);
    expect(lists[4]).toEqual(lists[1]);
    expect(lists.every((list) => list.source === 'MODEL')).toBe(true);
  });

  it('a mix of warm and cold users in one request: one MGET, and the model scores only the cold ones', async () => {
    await runAliased(gateway.url, ['mix-warm-1', 'mix-warm-2']);
    model.reset();
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const lists = await runAliased(gateway.url, ['mix-warm-1', 'mix-cold-1', 'mix-warm-2', 'mix-cold-2']);
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(lists.map((list) => list.source)).toEqual(['CACHE', 'MODEL', 'CACHE', 'MODEL']);
    expect(commandCalls(stats, 'mget')).toBe(1);
    expect(model.scoreCalls).toHaveLength(1);
    expect([...(model.scoreCalls[0] ?? [])].sort()).toEqual(['mix-cold-1', 'mix-cold-2']);
  });

  it('100 aliases (the most one request may carry) are still one batch: one MGET, one model call', async () => {
    const users = Array.from({ length: 100 }, (_, index) => `hundred-${index}`);
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const lists = await runAliased(gateway.url, users);
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(lists.every((list) => list.source === 'MODEL')).toBe(true);
    expect(commandCalls(stats, 'mget')).toBe(1);
    expect(model.scoreCalls).toHaveLength(1);
    expect([...(model.scoreCalls[0] ?? [])].sort()).toEqual([...users].sort());
  });

  it('101 aliases are refused as a client error before anything runs: 400 GRAPHQL_VALIDATION_FAILED, no MGET, no model call', async () => {
    const users = Array.from({ length: 101 }, (_, index) => `too-many-${index}`);
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const { status, body } = await postGraphQL(gateway.url, aliasedQuery(users));
    const stats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(body.data ?? undefined).toBeUndefined();
    expect(body.errors?.[0]?.message, describeBody(body)).toMatch(/alias/i);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(status).toBe(400);
    expect(commandCalls(stats, 'mget')).toBe(0);
    expect(model.scoreCalls).toEqual([]);
  });
});

describe('batching with the near cache (the default)', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  it('50 cold users: no MGET (one GET per key), 1 model call; warm repeats re-read each written list once, then send nothing', async () => {
    const { redis, gateway, model } = await startRedisGateway(cleanups);
    await runAliased(gateway.url, ['warm-up']);
    model.reset();
    const users = Array.from({ length: USERS }, (_, index) => `near-${index}`);

    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const cold = await runAliased(gateway.url, users);
    const coldStats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(cold.every((list) => list.source === 'MODEL')).toBe(true);
    expect(commandCalls(coldStats, 'mget')).toBe(0);
    // Each user's list and state, plus the GETs inside the compare-and-set scripts, which Redis counts too.
    expect(commandCalls(coldStats, 'get')).toBeGreaterThanOrEqual(USERS * 2);
    expect(model.scoreCalls).toHaveLength(1);

    // The first warm read asks Redis for each list once more (writing it invalidated the miss kept by the cold read),
    // the users' states not at all; from then on nothing is sent.
    model.reset();
    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const warm = await runAliased(gateway.url, users);
    const warmStats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(warm.every((list) => list.source === 'CACHE')).toBe(true);
    expect(commandCalls(warmStats, 'get')).toBe(USERS);
    expect(commandCalls(warmStats, 'mget')).toBe(0);

    expect(await redisCli(redis.port, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const hot = await runAliased(gateway.url, users);
    const hotStats = await redisCli(redis.port, 'INFO', 'commandstats');
    expect(hot.every((list) => list.source === 'CACHE')).toBe(true);
    for (const command of ['get', 'mget', 'set', 'evalsha', 'eval']) expect(commandCalls(hotStats, command)).toBe(0);
    expect(model.scoreCalls).toEqual([]);
    hot.forEach((list, index) => expect(list.items).toEqual(cold[index]?.items));
  });
});
