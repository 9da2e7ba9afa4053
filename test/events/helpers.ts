/**
 * Shared helpers for the purchase event tests (not a test file): a checkout-side publisher on a nats-server the
 * test started itself, and waits on the gateway's own counters.
 */
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { PurchaseEventOutcome } from '../../src/telemetry/events.js';
import type { InProcessGateway } from '../support/gateway.js';
import { sleep } from '../support/wait.js';

export { sleep, waitFor } from '../support/wait.js';

export const STREAM = 'TEST_PURCHASES';
export const SUBJECT = 'shop.purchases';
export const CONSUMER = 'recs-test';
export const DEAD_LETTER = 'shop.rejected-purchases';

/** The gateway environment that turns the consumer on against `natsUrl`, with a short ack wait for the tests. */
export function eventsEnv(natsUrl: string, ackWaitSeconds = 3): Record<string, string> {
  return {
    PURCHASE_EVENTS_URL: natsUrl,
    PURCHASE_EVENTS_STREAM: STREAM,
    PURCHASE_EVENTS_SUBJECT: SUBJECT,
    PURCHASE_EVENTS_CONSUMER: CONSUMER,
    PURCHASE_EVENTS_DEAD_LETTER_SUBJECT: DEAD_LETTER,
    PURCHASE_EVENTS_ACK_WAIT_SECONDS: String(ackWaitSeconds),
  };
}

export interface Checkout {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Publishes one JSON purchase event (through JetStream: resolves once the stream stored it). */
  purchase(event: { orderId: string; userId: string; itemId: string; occurredAt?: string }): Promise<void>;
  /** Publishes raw bytes on the purchase subject. */
  publishRaw(data: string | Uint8Array): Promise<void>;
  /** The durable consumer's state on the server. */
  consumer(): Promise<ConsumerInfo>;
  close(): Promise<void>;
}

/** A checkout system's side: creates the stream (as its owner would) and publishes to it. */
export async function startCheckout(natsUrl: string): Promise<Checkout> {
  const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File });
  const js = jetstream(nc);
  const publishRaw = async (data: string | Uint8Array): Promise<void> => {
    // A publish right after a server restart can find JetStream still recovering: retry briefly, as a checkout would.
    for (let attempt = 1; ; attempt++) {
      try {
        await js.publish(SUBJECT, data, { timeout: 2_000 });
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(250); // a checkout's retry interval: the retries are the scenario
      }
    }
  };
  return {
    nc,
    jsm,
    purchase: (event) => publishRaw(JSON.stringify({ occurredAt: new Date().toISOString(), ...event })),
    publishRaw,
    consumer: () => jsm.consumers.info(STREAM, CONSUMER),
    close: async () => {
      await nc.drain();
    },
  };
}

/** Collects what arrives on the dead-letter subject. */
export function collectDeadLetters(nc: NatsConnection): Msg[] {
  const received: Msg[] = [];
  const subscription = nc.subscribe(DEAD_LETTER);
  void (async () => {
    for await (const message of subscription) received.push(message);
  })();
  return received;
}

/** `recs_purchase_events_total` of an in-process gateway, by outcome; absent outcomes are 0. */
export async function eventOutcomes(gateway: InProcessGateway): Promise<Record<PurchaseEventOutcome, number>> {
  const metric = await gateway.app.telemetry.registry.getSingleMetric('recs_purchase_events_total')?.get();
  const counts: Record<PurchaseEventOutcome, number> = {
    applied: 0,
    duplicate: 0,
    redelivered: 0,
    malformed: 0,
    conflict: 0,
  };
  for (const value of metric?.values ?? []) {
    const outcome = value.labels.outcome as PurchaseEventOutcome;
    counts[outcome] = value.value;
  }
  return counts;
}
