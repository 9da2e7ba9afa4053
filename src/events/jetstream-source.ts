import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { connect, headers, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PurchaseEventsConfig } from '../config.js';
import type { Logger, PurchaseEventTelemetry } from '../telemetry/events.js';
import type { Disposition, PurchaseEventHandler, PurchaseEventSource } from './purchase-event-source.js';

/** The configured consumer (`PurchaseEventsConfig`: servers, stream, subject, consumer, limits) and what it reports to. */
export interface JetStreamSourceOptions extends PurchaseEventsConfig {
  readonly logger: Logger;
  readonly telemetry: PurchaseEventTelemetry;
}

// Un-acked events across all replicas before the server stops delivering; events waiting for a retry count too,
// so it is kept well above the in-flight work of any plausible number of replicas.
const MAX_ACK_PENDING = 1000;
// A stream the gateway creates keeps events as long as orders are remembered (PurchaseService's order retention):
// a replay from older than that could not be recognised as a duplicate anyway.
const STREAM_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_WAIT_MS = 1_000;
const SETUP_RETRY_FIRST_MS = 500;
const SETUP_RETRY_MAX_MS = 10_000;
const LOG_INTERVAL_MS = 5_000;

/**
 * Purchase events from a NATS JetStream durable pull consumer, acknowledged explicitly one by one.
 *
 * - **Durable:** the consumer's position and its unacknowledged events live in the server, so a gateway that
 *   crashes (SIGKILL) loses nothing: after `ackWaitMs` the server redelivers its events to whichever replica pulls.
 * - **Bounded:** one pull asks for at most `maxInFlight` events and a new one is started only as slots free up.
 * - **Resilient:** the client reconnects for ever; pulls resume after a server restart on their own.
 * - **Off the read path:** a broker that is down at start-up is retried in the background; reads never wait on it.
 */
export class JetStreamPurchaseEventSource implements PurchaseEventSource {
  readonly kind = 'jetstream';
  readonly #options: JetStreamSourceOptions;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #nc: NatsConnection | undefined;
  #messages: ConsumerMessages | undefined;
  #run: Promise<void> | undefined;
  #linkUp = false;
  #bound = false;
  #lastLog = 0;

  constructor(options: JetStreamSourceOptions) {
    this.#options = options;
  }

  start(handler: PurchaseEventHandler): void {
    if (this.#run !== undefined) throw new Error('JetStreamPurchaseEventSource.start: already started');
    this.#run = this.#runLoop(handler);
  }

  connected(): boolean {
    return this.#linkUp && this.#bound;
  }

  async stop(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    try {
      await this.#messages?.close();
    } catch {
      // closing a subscription on a connection that is already down: nothing left to stop
    }
    await this.#run;
    await Promise.allSettled([...this.#inFlight]);
    this.#setState({ bound: false });
    try {
      // drain flushes the acknowledgements just sent before the connection closes.
      await this.#nc?.drain();
    } catch {
      await this.#nc?.close().catch(() => undefined);
    }
    this.#options.logger.info({ source: this.kind }, 'purchase event consumer stopped');
  }

  // Private: connection, set-up and the consume loop.

  async #runLoop(handler: PurchaseEventHandler): Promise<void> {
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      try {
        const nc = this.#nc ?? (await this.#connect());
        await this.#ensureStreamAndConsumer(nc);
        failures = 0;
        await this.#consume(nc, handler);
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        this.#logThrottled({ err: error, source: this.kind }, 'purchase event consumer not running; retrying');
      }
      this.#setState({ bound: false });
      failures += 1;
      const delay = Math.min(SETUP_RETRY_MAX_MS, SETUP_RETRY_FIRST_MS * 2 ** Math.min(failures - 1, 10));
      try {
        await sleep(delay, undefined, { signal: this.#abort.signal });
      } catch {
        break;
      }
    }
  }

  async #connect(): Promise<NatsConnection> {
    const nc = await connect({
      servers: [...this.#options.servers],
      name: `recs-gateway purchase events (${this.#options.consumer})`,
      timeout: CONNECT_TIMEOUT_MS,
      // Once connected, never give up: a broker restart must not silently end the consumer.
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
    });
    if (this.#abort.signal.aborted) {
      await nc.close();
      throw new Error('stopped while connecting');
    }
    this.#nc = nc;
    this.#setState({ linkUp: true });
    void this.#watchConnection(nc);
    this.#options.logger.info({ source: this.kind, server: nc.getServer() }, 'purchase event consumer connected');
    return nc;
  }

  async #watchConnection(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.#setState({ linkUp: false });
      else if (status.type === 'reconnect') this.#setState({ linkUp: true });
    }
    this.#setState({ linkUp: false });
  }

  /**
   * Creates the stream when it is missing (a convenience for a first deployment; an existing stream is left as its
   * owner configured it), and creates or updates the durable consumer to this configuration.
   */
  async #ensureStreamAndConsumer(nc: NatsConnection): Promise<void> {
    const { stream, subject, consumer, ackWaitMs } = this.#options;
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(stream);
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
      await jsm.streams.add({
        name: stream,
        subjects: [subject],
        storage: StorageType.File,
        max_age: nanos(STREAM_MAX_AGE_MS),
      });
      this.#options.logger.info({ stream, subject }, 'created the purchase event stream');
    }
    await jsm.consumers.add(stream, {
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: MAX_ACK_PENDING,
    });
  }

  async #consume(nc: NatsConnection, handler: PurchaseEventHandler): Promise<void> {
    const { stream, consumer, maxInFlight } = this.#options;
    const pull = await jetstream(nc).consumers.get(stream, consumer);
    const messages = await pull.consume({ max_messages: maxInFlight });
    this.#messages = messages;
    if (this.#abort.signal.aborted) {
      await messages.close();
      return;
    }
    this.#setState({ bound: true });
    void this.#watchConsumer(messages);
    for await (const message of messages) {
      if (this.#abort.signal.aborted) {
        // Fetched but not started: hand it back at once rather than make another replica wait out the ack wait.
        message.nak();
        continue;
      }
      this.#setState({ bound: true });
      while (this.#inFlight.size >= maxInFlight) await Promise.race(this.#inFlight);
      const task = this.#process(message, handler).finally(() => this.#inFlight.delete(task));
      this.#inFlight.add(task);
    }
  }

  /** Missed heartbeats mean the pull is not being served (JetStream down or consumer gone): not connected. */
  async #watchConsumer(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (
        status.type === 'heartbeats_missed' ||
        status.type === 'consumer_not_found' ||
        status.type === 'stream_not_found' ||
        status.type === 'consumer_deleted'
      ) {
        this.#setState({ bound: false });
      } else if (status.type === 'heartbeat' || status.type === 'next') {
        this.#setState({ bound: true });
      }
    }
  }

  async #process(message: JsMsg, handler: PurchaseEventHandler): Promise<void> {
    let disposition: Disposition;
    try {
      disposition = await handler({
        data: message.data,
        attempt: message.info.deliveryCount,
        id: `${this.#options.stream}#${message.seq}`,
      });
    } catch (error) {
      // The handler promises never to reject; if it does anyway, the event is kept, not lost.
      disposition = {
        kind: 'retry',
        delayMs: SETUP_RETRY_MAX_MS,
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    switch (disposition.kind) {
      case 'ack':
        message.ack();
        return;
      case 'retry':
        message.nak(disposition.delayMs);
        return;
      case 'reject':
        this.#deadLetter(message, disposition.outcome, disposition.reason);
        // term() without a reason: servers before 2.11 do not take one. The reason travels with the dead letter.
        message.term();
        return;
    }
  }

  /** Best effort: the event is set aside (terminated) whether or not anyone listens on the dead-letter subject. */
  #deadLetter(message: JsMsg, outcome: string, reason: string): void {
    try {
      const meta = headers();
      meta.set('Recs-Rejected-Outcome', outcome);
      meta.set('Recs-Rejected-Reason', reason.replace(/[\r\n]+/g, ' ').slice(0, 200));
      meta.set('Recs-Source-Stream', this.#options.stream);
      meta.set('Recs-Source-Sequence', String(message.seq));
      meta.set('Recs-Source-Subject', message.subject);
      this.#nc?.publish(this.#options.deadLetterSubject, message.data, { headers: meta });
    } catch (error) {
      this.#options.logger.warn(
        { err: error, eventId: `${this.#options.stream}#${message.seq}` },
        'could not publish a rejected purchase event to the dead-letter subject',
      );
    }
  }

  #setState(change: { linkUp?: boolean; bound?: boolean }): void {
    const before = this.connected();
    if (change.linkUp !== undefined) this.#linkUp = change.linkUp;
    if (change.bound !== undefined) this.#bound = change.bound;
    const after = this.connected();
    if (before !== after) this.#options.telemetry.purchaseEventsConnected(after);
  }

  #logThrottled(object: object, message: string): void {
    const now = Date.now();
    if (now - this.#lastLog < LOG_INTERVAL_MS) return;
    this.#lastLog = now;
    this.#options.logger.warn(object, message);
  }
}
