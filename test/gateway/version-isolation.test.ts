/**
 * Model versions are separate cache namespaces: two gateways on one Redis, one on v1 and one on v2, never serve
 * each other's lists, and each then hits its own cached entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, CountingModel, expectEntryKeys, itemIds, keysOn, readRecs } from './helpers.js';
import { decodePackedEntry } from '../../src/cache/packed-entry.js';

describe('model version isolation on a shared Redis', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let v1: InProcessGateway;
  let v2: InProcessGateway;
  let v1Model: CountingModel;
  let v2Model: CountingModel;

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    v1Model = CountingModel.builtin('v1');
    v2Model = CountingModel.builtin('v2');
    v1 = await startGateway({ REDIS_URL: redis.url, MODEL_VERSION: 'v1' }, { model: v1Model });
    cleanups.add(() => v1.close());
    v2 = await startGateway({ REDIS_URL: redis.url, MODEL_VERSION: 'v2' }, { model: v2Model });
    cleanups.add(() => v2.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  it('v2 never serves the entry v1 cached; each version then hits its own namespace', async () => {
    const fromV1 = await readRecs(v1.url, 'shared-user', 50);
    expect(fromV1.source).toBe('MODEL');
    expect(fromV1.modelVersion).toBe('v1');
    const cachedV1 = await readRecs(v1.url, 'shared-user', 50);
    expect(cachedV1.source).toBe('CACHE');
    expect(cachedV1.items).toEqual(fromV1.items);
    expectEntryKeys(await keysOn(redis.port), ['recs:{shared-user}:v1']);

    v2Model.reset();
    const fromV2 = await readRecs(v2.url, 'shared-user', 50);
    expect(fromV2.source).toBe('MODEL');
    expect(fromV2.modelVersion).toBe('v2');
    expect(v2Model.scoreCalls).toEqual([['shared-user']]);
    expect(itemIds(fromV2)).not.toEqual(itemIds(fromV1));
    expect(fromV2.generatedAt).not.toBe(fromV1.generatedAt);
    expectEntryKeys(await keysOn(redis.port), ['recs:{shared-user}:v1', 'recs:{shared-user}:v2']);

    v1Model.reset();
    v2Model.reset();
    const againV1 = await readRecs(v1.url, 'shared-user', 50);
    const againV2 = await readRecs(v2.url, 'shared-user', 50);
    expect(againV1).toMatchObject({ source: 'CACHE', modelVersion: 'v1', generatedAt: fromV1.generatedAt });
    expect(againV1.items).toEqual(fromV1.items);
    expect(againV2).toMatchObject({ source: 'CACHE', modelVersion: 'v2', generatedAt: fromV2.generatedAt });
    expect(againV2.items).toEqual(fromV2.items);
    expect(v1Model.scoreCalls).toEqual([]);
    expect(v2Model.scoreCalls).toEqual([]);
  });

  it('the entries in Redis are labelled with the version of their key', async () => {
    await readRecs(v1.url, 'label-user');
    await readRecs(v2.url, 'label-user');
    for (const version of ['v1', 'v2']) {
      const raw = await redisCli(redis.port, 'GET', `recs:{label-user}:${version}`);
      expect(decodePackedEntry(raw)?.modelVersion).toBe(version);
    }
  });

  it('v1 does not see a list v2 cached first either', async () => {
    const fromV2 = await readRecs(v2.url, 'v2-first');
    expect(fromV2).toMatchObject({ source: 'MODEL', modelVersion: 'v2' });
    const fromV1 = await readRecs(v1.url, 'v2-first');
    expect(fromV1).toMatchObject({ source: 'MODEL', modelVersion: 'v1' });
    expect(itemIds(fromV1)).not.toEqual(itemIds(fromV2));
  });
});
