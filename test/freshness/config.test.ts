import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { loadModelServerConfig } from '../../src/model/server/server-config.js';

describe('freshness configuration', () => {
  it('defaults: target 0.1, tuning on, TTL bounds 60 s to 1 h, no stale limit, inspector 2/s and drift on outside tests', () => {
    const config = loadConfig({});
    expect(config.freshness).toEqual({
      target: 0.1,
      ttlTuning: true,
      minTtlSeconds: 60,
      maxTtlSeconds: 3600,
      staleLimit: undefined,
      inspectorPerSecond: 2,
    });
    expect(config.modelDrift).toBe(true);
  });

  it('turns the inspector and model drift off by default under NODE_ENV=test, and on when asked', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).freshness.inspectorPerSecond).toBe(0);
    expect(loadConfig({ NODE_ENV: 'test' }).modelDrift).toBe(false);
    const asked = loadConfig({ NODE_ENV: 'test', FRESHNESS_INSPECTOR_PER_SECOND: '5', MODEL_DRIFT: 'true' });
    expect(asked.freshness.inspectorPerSecond).toBe(5);
    expect(asked.modelDrift).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      FRESHNESS_TARGET: '0.25',
      FRESHNESS_TTL_TUNING: 'false',
      FRESHNESS_TTL_MIN_SECONDS: '30',
      FRESHNESS_TTL_MAX_SECONDS: '7200',
      FRESHNESS_STALE_LIMIT: '.5',
      FRESHNESS_INSPECTOR_PER_SECOND: '0',
      MODEL_DRIFT: '0',
    });
    expect(config.freshness).toEqual({
      target: 0.25,
      ttlTuning: false,
      minTtlSeconds: 30,
      maxTtlSeconds: 7200,
      staleLimit: 0.5,
      inspectorPerSecond: 0,
    });
    expect(config.modelDrift).toBe(false);
  });

  it('refuses bad values with the contract and the value', () => {
    for (const [name, raw] of [
      ['FRESHNESS_TARGET', '0'],
      ['FRESHNESS_TARGET', '1'],
      ['FRESHNESS_TARGET', '1e-1'],
      ['FRESHNESS_STALE_LIMIT', 'lots'],
    ]) {
      expect(() => loadConfig({ [name as string]: raw as string })).toThrow(
        new ConfigError(`${name} must be a number strictly between 0 and 1, but got: ${JSON.stringify(raw)}`),
      );
    }
    expect(() => loadConfig({ FRESHNESS_TTL_MIN_SECONDS: '600', FRESHNESS_TTL_MAX_SECONDS: '60' })).toThrow(
      /FRESHNESS_TTL_MAX_SECONDS must be at least FRESHNESS_TTL_MIN_SECONDS \(600\), but got: 60/,
    );
    expect(() => loadConfig({ FRESHNESS_INSPECTOR_PER_SECOND: '-1' })).toThrow(
      /FRESHNESS_INSPECTOR_PER_SECOND must be a whole number from 0 to 1000/,
    );
    expect(() => loadConfig({ MODEL_DRIFT: 'sometimes' })).toThrow(/MODEL_DRIFT must be true or false/);
  });
});

describe('reference model server drift', () => {
  it("drifts like the gateway's built-in model: on by default, off under NODE_ENV=test, MODEL_DRIFT decides", () => {
    expect(loadModelServerConfig({}).drift).toBe(true);
    expect(loadModelServerConfig({ NODE_ENV: 'test' }).drift).toBe(false);
    expect(loadModelServerConfig({ NODE_ENV: 'test', MODEL_DRIFT: 'true' }).drift).toBe(true);
    expect(loadModelServerConfig({ MODEL_DRIFT: 'false' }).drift).toBe(false);
    expect(() => loadModelServerConfig({ MODEL_DRIFT: 'yes' })).toThrow(/MODEL_DRIFT must be true or false/);
  });
});
