/**
 * The consumer never stands between the gateway and its reads: a gateway process configured with a broker that is
 * not there starts, is ready, serves reads and reports the consumer as not connected; it connects once the broker
 * appears; SIGTERM stops it cleanly either way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import { freePort } from '../support/free-port.js';
import { startNats } from '../support/nats-server.js';
import { Cleanups } from '../gateway/helpers.js';
import { eventsEnv, waitFor } from './helpers.js';

interface Readyz {
  ready: boolean;
  status: string;
  purchaseEvents?: { source: string; connected: boolean };
}

describe('a gateway with purchase events configured', () => {
  const cleanups = new Cleanups();
  afterAll(async () => {
    await cleanups.run();
  });

  it(
    'serves reads while the broker is missing, connects when it appears, and exits cleanly on SIGTERM',
    { timeout: 60_000 },
    async () => {
      const natsPort = await freePort();
      const gateway = await startGatewayProcess({ LOG_LEVEL: 'warn', ...eventsEnv(`nats://127.0.0.1:${natsPort}`) });
      cleanups.add(() => gateway.stop('SIGKILL'));
      const readyz = async () => (await (await fetch(`${gateway.origin}/readyz`)).json()) as Readyz;

      expect(await readyz()).toMatchObject({
        ready: true,
        status: 'ready',
        purchaseEvents: { source: 'jetstream', connected: false },
      });
      const read = await postGraphQL(
        gateway.url,
        'query { recommendations(userId: "lifecycle-1", first: 3) { items { rank } } }',
      );
      expect(read.body.errors).toBeUndefined();
      expect(read.body.data?.recommendations).toEqual({ items: [{ rank: 1 }, { rank: 2 }, { rank: 3 }] });
      const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
      expect(metrics).toMatch(/^recs_purchase_events_connected 0$/m);

      const nats = await startNats({ port: natsPort });
      cleanups.add(() => nats.stop());
      await waitFor(
        'the consumer to connect to the late broker',
        async () => (await readyz()).purchaseEvents?.connected === true,
        20_000,
      );

      const started = Date.now();
      expect(await gateway.stop('SIGTERM')).toBe(0);
      // Bounded by the drain and the 2 s dependency close, not by the consumer's reconnect loop.
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(gateway.output()).not.toMatch(/"level":50/);
    },
  );

  it('leaves the consumer out of /readyz when no broker is configured', { timeout: 60_000 }, async () => {
    const gateway = await startGatewayProcess({ LOG_LEVEL: 'warn' });
    cleanups.add(() => gateway.stop('SIGKILL'));
    const body = (await (await fetch(`${gateway.origin}/readyz`)).json()) as Readyz;
    expect(body.ready).toBe(true);
    expect(body).not.toHaveProperty('purchaseEvents');
    expect(await gateway.stop('SIGTERM')).toBe(0);
  });
});
