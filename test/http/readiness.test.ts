/**
 * `/readyz` over real HTTP: store and model reachability, and each documented state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import { startRedis } from '../support/redis-server.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { Model, RankedList } from '../../src/model/model.js';
import { Cleanups } from '../gateway/helpers.js';
import { readyz } from '../support/readyz.js';
import { waitFor } from '../support/wait.js';

/** The store breaker's state may be any of its three while Redis is down, depending on when it was last probed. */
const ANY_BREAKER_STATE: unknown = expect.stringMatching(/^(closed|open|half-open)$/);

/** A real model behind a health check the test can make fail, or hang. */
class PingableModel implements Model {
  health: 'up' | 'down' | 'hanging' = 'up';
  pings = 0;
  readonly #inner = new BuiltinModel({ version: 'ready-v1' });

  currentVersion(): string {
    return this.#inner.currentVersion();
  }
  scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    return this.#inner.scoreAndRank(userIds, limit);
  }
  recordPurchase(userId: string, itemId: string): Promise<void> {
    return this.#inner.recordPurchase(userId, itemId);
  }
  async ping(): Promise<void> {
    this.pings += 1;
    if (this.health === 'down') throw new Error('model service unreachable (test)');
    if (this.health === 'hanging') await new Promise(() => {});
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

describe('/readyz', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  it('ready when store and model answer; degraded (still 200) when one of them is down; 503 when both are', async () => {
    const redis = await startRedis();
    cleanups.add(() => redis.stop());
    const model = new PingableModel();
    const gateway = await startGateway({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '300' }, { model });
    cleanups.add(() => gateway.close());

    expect(await readyz(gateway.origin)).toEqual({
      status: 200,
      body: {
        ready: true,
        status: 'ready',
        store: { kind: 'redis', up: true, breaker: 'closed' },
        model: { version: 'ready-v1', up: true },
      },
    });
    expect(model.pings).toBeGreaterThan(0);

    model.health = 'down';
    expect(await readyz(gateway.origin)).toEqual({
      status: 200,
      body: {
        ready: true,
        status: 'degraded',
        store: { kind: 'redis', up: true, breaker: 'closed' },
        model: { version: 'ready-v1', up: false },
      },
    });

    model.health = 'up';
    await redis.kill();
    expect(await readyz(gateway.origin)).toEqual({
      status: 200,
      body: {
        ready: true,
        status: 'degraded',
        store: { kind: 'redis', up: false, breaker: ANY_BREAKER_STATE },
        model: { version: 'ready-v1', up: true },
      },
    });

    model.health = 'down';
    expect(await readyz(gateway.origin)).toEqual({
      status: 503,
      body: {
        ready: false,
        status: 'unavailable',
        store: { kind: 'redis', up: false, breaker: ANY_BREAKER_STATE },
        model: { version: 'ready-v1', up: false },
      },
    });

    model.health = 'up';
    await redis.restart();
    await waitFor(
      'readiness to report ready',
      async () => (await readyz(gateway.origin)).body.status === 'ready',
      10_000,
    );
    const recovered = await readyz(gateway.origin);
    expect(recovered.status).toBe(200);
    expect(recovered.body.status).toBe('ready');
  });

  it('a model health check that hangs counts as down within the probe bound (under a second)', async () => {
    const model = new PingableModel();
    model.health = 'hanging';
    const gateway = await startGateway({}, { model });
    cleanups.add(() => gateway.close());
    const started = Date.now();
    const report = await readyz(gateway.origin);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report).toEqual({
      status: 200,
      body: {
        ready: true,
        status: 'degraded',
        store: { kind: 'memory', up: true },
        model: { version: 'ready-v1', up: false },
      },
    });
  });

  it('a model without a health check is as reachable as the process: ready', async () => {
    const gateway = await startGateway({ MODEL_VERSION: 'plain-v1' });
    cleanups.add(() => gateway.close());
    expect(await readyz(gateway.origin)).toEqual({
      status: 200,
      body: {
        ready: true,
        status: 'ready',
        store: { kind: 'memory', up: true },
        model: { version: 'plain-v1', up: true },
      },
    });
  });
});
