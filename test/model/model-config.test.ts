/** The remote-model settings of the gateway config: defaults, and rejections that name the variable and the value. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('model service configuration', () => {
  it('defaults to the built-in model and documented bounds', () => {
    expect(loadConfig({})).toMatchObject({
      modelUrl: undefined,
      modelTimeoutMs: 2000,
      modelVersionPollSeconds: 10,
      modelMaxBatch: 100,
    });
    expect(loadConfig({ MODEL_URL: '' }).modelUrl).toBeUndefined();
  });

  it('reads good values', () => {
    expect(
      loadConfig({
        MODEL_URL: 'http://ranker.internal:4100/base',
        MODEL_TIMEOUT_MS: '250',
        MODEL_VERSION_POLL_SECONDS: '0',
        MODEL_MAX_BATCH: '20',
      }),
    ).toMatchObject({
      modelUrl: 'http://ranker.internal:4100/base',
      modelTimeoutMs: 250,
      modelVersionPollSeconds: 0,
      modelMaxBatch: 20,
    });
  });

  it.each([
    ['MODEL_URL', 'ranker:4100'],
    ['MODEL_URL', 'redis://127.0.0.1:6379'],
    ['MODEL_TIMEOUT_MS', '5'],
    ['MODEL_TIMEOUT_MS', 'soon'],
    ['MODEL_VERSION_POLL_SECONDS', '-1'],
    ['MODEL_MAX_BATCH', '0'],
    ['MODEL_MAX_BATCH', '10001'],
  ])('rejects %s=%s', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(name);
    expect((caught as Error).message).toContain(JSON.stringify(value));
  });
});
