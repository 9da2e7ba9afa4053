/**
 * The remote model's health as operators see it: `recs_model_breaker_state` and `/readyz`, with a real ranking
 * service (the reference model server) that starts failing and then recovers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, postGraphQL } from '../support/gateway.js';
import { startModelServer } from '../support/model-server.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { Cleanups, READ_QUERY } from '../gateway/helpers.js';
import { readyz as readyzOf } from '../support/readyz.js';
import { waitFor } from '../support/wait.js';

const readyz = (origin: string) => readyzOf<{ status: string; model: { up: boolean; version: string } }>(origin);

async function breakerState(origin: string): Promise<number> {
  return sumOf(await scrape(origin), 'recs_model_breaker_state');
}

describe('model breaker and readiness with a remote model (MODEL_URL)', () => {
  const cleanups = new Cleanups();

  afterEach(async () => {
    await cleanups.run();
  });

  it('breaker closed (0) and ready → service failing: breaker open (2), /readyz degraded → service back: closed and ready', async () => {
    const server = await startModelServer({ version: 'remote-v1' });
    cleanups.add(() => server.close());
    const gateway = await startGateway({
      MODEL_URL: server.url,
      MODEL_TIMEOUT_MS: '500',
      MODEL_VERSION_POLL_SECONDS: '0',
    });
    cleanups.add(() => gateway.close());

    const ok = await postGraphQL(gateway.url, READ_QUERY, { userId: 'breaker-1' });
    expect(ok.body.errors).toBeUndefined();
    expect(await breakerState(gateway.origin)).toBe(0);
    expect(await readyz(gateway.origin)).toMatchObject({
      status: 200,
      body: { status: 'ready', model: { up: true, version: 'remote-v1' } },
    });

    server.fault(() => ({ status: 503, body: '{"error":"overloaded"}' }));
    for (let user = 0; user < 6 && (await breakerState(gateway.origin)) !== 2; user++) {
      const failed = await postGraphQL(gateway.url, READ_QUERY, { userId: `breaker-miss-${user}` });
      expect(failed.body.errors?.[0]?.extensions?.code).toBe('MODEL_UNAVAILABLE');
    }
    expect(await breakerState(gateway.origin)).toBe(2);
    // The store still serves what it has: degraded, not out of rotation.
    expect(await readyz(gateway.origin)).toMatchObject({
      status: 200,
      body: { status: 'degraded', model: { up: false } },
    });

    server.fault(undefined);
    await waitFor(
      'readiness to report ready',
      async () => (await readyz(gateway.origin)).body.status === 'ready',
      10_000,
    );
    const report = await readyz(gateway.origin);
    expect(report).toMatchObject({ status: 200, body: { status: 'ready', model: { up: true } } });
    expect(await breakerState(gateway.origin)).toBe(0);
  });
});
