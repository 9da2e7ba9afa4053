/**
 * The JetStream source on its own, against a real nats-server, with a scripted handler in place of the purchase
 * path: it carries out each disposition (a retry comes back after its delay, an ack is final), never works on more
 * than `maxInFlight` events at once, starts against a broker that is not up yet, and on stop() lets the events in
 * flight finish and acknowledges them before it closes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JetStreamPurchaseEventSource } from '../../src/events/jetstream-source.js';
import type { Disposition, EventDelivery, PurchaseEventHandler } from '../../src/events/purchase-event-source.js';
import { silentLogger, silentPurchaseEventTelemetry } from '../../src/telemetry/events.js';
import { freePort } from '../support/free-port.js';
import { startNats } from '../support/nats-server.js';
import { Cleanups } from '../gateway/helpers.js';
import { CONSUMER, DEAD_LETTER, STREAM, SUBJECT, sleep, startCheckout, waitFor } from './helpers.js';

function source(url: string, maxInFlight: number, ackWaitMs = 5_000): JetStreamPurchaseEventSource {
  return new JetStreamPurchaseEventSource({
    servers: [url],
    stream: STREAM,
    subject: SUBJECT,
    consumer: CONSUMER,
    deadLetterSubject: DEAD_LETTER,
    maxInFlight,
    ackWaitMs,
    logger: silentLogger,
    telemetry: silentPurchaseEventTelemetry,
  });
}

const orderOf = (delivery: EventDelivery) =>
  (JSON.parse(new TextDecoder().decode(delivery.data)) as { orderId: string }).orderId;

describe('JetStreamPurchaseEventSource', () => {
  const cleanups = new Cleanups();
  afterEach(async () => {
    await cleanups.run();
  });

  it('redelivers a retried event after its delay and stops once it is acknowledged', async () => {
    const nats = await startNats();
    cleanups.add(() => nats.stop());
    const checkout = await startCheckout(nats.url);
    cleanups.add(() => checkout.close());
    const seen: Array<{ attempt: number; at: number }> = [];
    const handler: PurchaseEventHandler = async (delivery) => {
      seen.push({ attempt: delivery.attempt, at: Date.now() });
      return delivery.attempt < 3
        ? { kind: 'retry', delayMs: 300, reason: 'store down (test)' }
        : { kind: 'ack', outcome: 'applied' };
    };
    const events = source(nats.url, 4);
    cleanups.add(() => events.stop());
    events.start(handler);

    await checkout.purchase({ orderId: 'retry-1', userId: 'u-1', itemId: 'i-1' });
    await waitFor('the third delivery', () => seen.length >= 3);
    await waitFor('the ack to reach the server', async () => (await checkout.consumer()).num_ack_pending === 0);
    // A check that no fourth delivery comes has no event to wait on: a redelivery would come within the 300 ms delay.
    await sleep(800);
    expect(seen.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    // nak(300): each redelivery waited for its delay (less a little for timer granularity).
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(250);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(250);
  });

  it('works on at most maxInFlight events at once, and gets through all of them', async () => {
    const nats = await startNats();
    cleanups.add(() => nats.stop());
    const checkout = await startCheckout(nats.url);
    cleanups.add(() => checkout.close());
    let running = 0;
    let peak = 0;
    const done = new Set<string>();
    const handler: PurchaseEventHandler = async (delivery): Promise<Disposition> => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(20); // the handler's work: it must take a while for events to overlap
      running -= 1;
      done.add(orderOf(delivery));
      return { kind: 'ack', outcome: 'applied' };
    };
    for (let index = 0; index < 40; index += 1)
      await checkout.purchase({ orderId: `bulk-${index}`, userId: 'u-1', itemId: 'i-1' });
    const events = source(nats.url, 3);
    cleanups.add(() => events.stop());
    events.start(handler);

    await waitFor('all 40 events', () => done.size === 40);
    expect(peak).toBe(3);
  });

  it('starts before the broker is up, connects once it is, and on stop() finishes and acknowledges the events in flight', async () => {
    // Nothing listens on this port yet: the source must keep trying in the background, not fail.
    const port = await freePort();
    const events = source(`nats://127.0.0.1:${port}`, 4);
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    events.start(async (delivery) => {
      seen.push(orderOf(delivery));
      await gate;
      return { kind: 'ack', outcome: 'applied' };
    });
    cleanups.add(() => events.stop());
    // The scenario: the broker stays away for a while, and the source has kept trying (and failing) meanwhile.
    await sleep(700);
    expect(events.connected()).toBe(false);

    const nats = await startNats({ port });
    cleanups.add(() => nats.stop());
    const checkout = await startCheckout(nats.url);
    cleanups.add(() => checkout.close());
    await waitFor('the source to connect', () => events.connected());
    for (let index = 0; index < 2; index += 1)
      await checkout.purchase({ orderId: `drain-${index}`, userId: 'u-1', itemId: 'i-1' });
    await waitFor('both events in flight', () => seen.length === 2);

    const stopped = events.stop();
    // A check that stop() does not settle the events itself has no event to wait on: this gives it the chance to.
    await sleep(200);
    // Still in flight: stop() waits for them rather than leaving them to the ack timer.
    expect((await checkout.consumer()).num_ack_pending).toBe(2);
    release();
    await stopped;
    expect(events.connected()).toBe(false);
    const info = await checkout.consumer();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    expect(seen.sort()).toEqual(['drain-0', 'drain-1']);
  });
});
