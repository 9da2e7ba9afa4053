import { GraphQLError } from 'graphql';
import { ClientError, ConflictError, ErrorCode } from '../errors.js';
import type { ItemCheck } from '../purchases/item-check.js';
import type { PurchaseResult } from '../purchases/purchase-result.js';
import type { Logger, PurchaseEventTelemetry } from '../telemetry/events.js';
import { parsePurchaseEvent } from './purchase-event.js';
import type { Disposition, EventDelivery, PurchaseEventHandler } from './purchase-event-source.js';

/** The one thing the handler needs from `PurchaseService`: record resolves only once the purchase is applied. */
export interface PurchaseRecorder {
  record(userId: string, itemId: string, orderId: string): Promise<PurchaseResult>;
}

export interface PurchaseEventHandlerOptions {
  readonly purchases: PurchaseRecorder;
  /** The same catalogue check the mutation makes: an item the gateway knows not to exist is never recorded. */
  readonly items: ItemCheck;
  readonly telemetry: PurchaseEventTelemetry;
  readonly logger: Logger;
  /**
   * Bound on one `record()`: past it the delivery is handed back (retry) rather than left to the broker's ack
   * timer, so a hung store cannot hold an in-flight slot for ever. Keep it under the source's ack wait.
   */
  readonly deadlineMs: number;
  /** Redelivery backoff: `firstRetryMs · 2^(attempt−1)`, at most `maxRetryMs`. Defaults 500 ms and 15 s. */
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
}

/**
 * The broker-independent meaning of a purchase event, and the policy for each way it can end:
 *
 * | what happened                                   | disposition        | counted as    |
 * | ----------------------------------------------- | ------------------ | ------------- |
 * | `record()` resolved, first time for the orderId | ack                | `applied`     |
 * | `record()` resolved as a duplicate              | ack                | `duplicate`   |
 * | `record()` rejected (store down, timeout, ...)  | retry with backoff | `redelivered` |
 * | bytes are not a valid event                     | reject (for good)  | `malformed`   |
 * | itemId is not in the catalogue (`ItemCheck`)    | reject (for good)  | `malformed`   |
 * | orderId already recorded for another user/item  | reject (for good)  | `conflict`    |
 *
 * Anything that is not known to be permanent is retried: at least once means a purchase is never dropped because
 * of a fault that may pass. Only an event that can never succeed is set aside, so it cannot block the stream.
 */
export function createPurchaseEventHandler(options: PurchaseEventHandlerOptions): PurchaseEventHandler {
  const { purchases, items, telemetry, logger, deadlineMs } = options;
  const firstRetryMs = options.firstRetryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 15_000;
  const retryLog = throttledWarn(logger, 5_000);

  return async (delivery: EventDelivery): Promise<Disposition> => {
    const parsed = parsePurchaseEvent(delivery.data);
    if (!parsed.ok) {
      telemetry.purchaseEvent('malformed');
      logger.warn(
        { eventId: delivery.id, attempt: delivery.attempt, bytes: delivery.data.byteLength, reason: parsed.reason },
        'malformed purchase event set aside',
      );
      return { kind: 'reject', outcome: 'malformed', reason: parsed.reason };
    }
    const { orderId, userId, itemId, occurredAt } = parsed.event;
    if (!items.accepts(itemId)) {
      const reason = `itemId is not an item in the catalogue, but got: ${JSON.stringify(itemId)}`;
      telemetry.purchaseEvent('malformed');
      logger.warn({ eventId: delivery.id, orderId, userId, itemId }, 'purchase event for an unknown item set aside');
      return { kind: 'reject', outcome: 'malformed', reason };
    }
    try {
      const result = await withDeadline(purchases.record(userId, itemId, orderId), deadlineMs);
      const outcome = result.duplicate ? 'duplicate' : 'applied';
      telemetry.purchaseEvent(outcome);
      logger.debug(
        { eventId: delivery.id, orderId, outcome, lagMs: Date.now() - occurredAt.getTime() },
        'purchase event applied',
      );
      return { kind: 'ack', outcome };
    } catch (error) {
      if (isConflict(error)) {
        telemetry.purchaseEvent('conflict');
        const reason = `orderId ${orderId} was already recorded for a different user or item`;
        logger.warn({ eventId: delivery.id, orderId, userId, itemId }, 'conflicting purchase event set aside');
        return { kind: 'reject', outcome: 'conflict', reason };
      }
      telemetry.purchaseEvent('redelivered');
      const delayMs = retryDelay(delivery.attempt, firstRetryMs, maxRetryMs, retryAfterMs(error));
      retryLog(
        { err: error, eventId: delivery.id, orderId, attempt: delivery.attempt, delayMs },
        'purchase event not applied; redelivering it later',
      );
      return { kind: 'retry', delayMs, reason: error instanceof Error ? error.message : String(error) };
    }
  };
}

/** Exponential backoff by delivery attempt, raised to the error's own retry hint, capped at `maxMs`. */
export function retryDelay(attempt: number, firstMs: number, maxMs: number, hintMs = 0): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  return Math.min(maxMs, Math.max(firstMs * 2 ** exponent, hintMs));
}

// Private: error classification and helpers.

function isConflict(error: unknown): boolean {
  return error instanceof ConflictError || extensionsOf(error)?.code === ErrorCode.CONFLICT;
}

/** A retryable domain error may say when to come back (`extensions.retryAfterSeconds`); honour it. */
function retryAfterMs(error: unknown): number {
  const seconds = extensionsOf(error)?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** The client-facing data of a gateway error, or of a GraphQL error from a recorder that speaks GraphQL. */
function extensionsOf(error: unknown): Readonly<Record<string, unknown>> | undefined {
  return error instanceof ClientError || error instanceof GraphQLError ? error.extensions : undefined;
}

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`purchase not applied within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * During a store outage every pending event is retried over and over: one warning per interval, with how many were
 * folded into it, says as much as thousands of lines would.
 */
function throttledWarn(logger: Logger, intervalMs: number): (object: object, message: string) => void {
  let last = 0;
  let suppressed = 0;
  return (object, message) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed += 1;
      return;
    }
    last = now;
    logger.warn({ ...object, suppressedSinceLast: suppressed }, message);
    suppressed = 0;
  };
}
