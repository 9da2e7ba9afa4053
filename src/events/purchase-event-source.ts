/**
 * The seam between a message broker and the purchase path. A source (JetStream today; Kafka would be another
 * class behind the same interface, see docs/purchase-events.md) only moves bytes and carries out what the handler
 * decided; what an event means, what counts as applied, and what is retried or set aside are decided once, in
 * `purchase-event-handler.ts`, for every broker alike.
 *
 * The contract is at least once: a source settles a delivery only as its disposition says. It acknowledges (commits)
 * an event only on `ack`, redelivers it on `retry` after about `delayMs`, and on `reject` sets it aside for good
 * (dead-letter) without holding up the events behind it.
 */
export interface PurchaseEventSource {
  /** For `/readyz` and logs, e.g. `jetstream`. */
  readonly kind: string;
  /**
   * Begins consuming in the background and returns at once: a broker that is down at start-up is retried, never a
   * reason for the gateway not to serve reads. Called once.
   */
  start(handler: PurchaseEventHandler): void;
  /**
   * Stops taking new events, lets the ones in flight finish and settles them, hands back the ones fetched but not
   * started (so another replica gets them at once), then closes the connection. Resolves when done; never rejects.
   */
  stop(): Promise<void>;
  /** Connected to the broker with the consumer bound: events flow. Cheap; read on every `/readyz`. */
  connected(): boolean;
}

/** One delivery of one event, as any broker can describe it. */
export interface EventDelivery {
  /** The raw message body (the JSON event). */
  readonly data: Uint8Array;
  /** 1 on first delivery, then 2, 3, ...: drives the retry backoff. */
  readonly attempt: number;
  /** Where the event sits in the broker, for logs: e.g. `PURCHASES#42` (stream and sequence). */
  readonly id: string;
}

/** What the source must do with a delivery. */
export type Disposition =
  | { readonly kind: 'ack'; readonly outcome: 'applied' | 'duplicate' }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly reason: string }
  | { readonly kind: 'reject'; readonly outcome: 'malformed' | 'conflict'; readonly reason: string };

/** Decides a delivery's fate. Resolves with a disposition; never rejects, and settles within the source's ack wait. */
export type PurchaseEventHandler = (delivery: EventDelivery) => Promise<Disposition>;
