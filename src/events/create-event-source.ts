import type { PurchaseEventsConfig } from '../config.js';
import type { ItemCheck } from '../purchases/item-check.js';
import type { Logger, PurchaseEventTelemetry } from '../telemetry/events.js';
import { JetStreamPurchaseEventSource } from './jetstream-source.js';
import { createPurchaseEventHandler } from './purchase-event-handler.js';
import type { PurchaseRecorder } from './purchase-event-handler.js';
import type { PurchaseEventHandler, PurchaseEventSource } from './purchase-event-source.js';

export interface PurchaseEventIntake {
  readonly source: PurchaseEventSource;
  readonly handler: PurchaseEventHandler;
}

/**
 * The configured purchase event source with its handler, or undefined when none is configured (the default:
 * `npm start` needs no broker). Another broker would be chosen here, by its own config, behind the same interface.
 */
export function createPurchaseEventIntake(
  config: PurchaseEventsConfig | undefined,
  parts: {
    readonly purchases: PurchaseRecorder;
    readonly items: ItemCheck;
    readonly telemetry: PurchaseEventTelemetry;
    readonly logger: Logger;
  },
): PurchaseEventIntake | undefined {
  if (config === undefined) return undefined;
  const handler = createPurchaseEventHandler({
    purchases: parts.purchases,
    items: parts.items,
    telemetry: parts.telemetry,
    logger: parts.logger,
    // Settle (retry) before the server's own ack timer would redeliver the event to another replica meanwhile.
    deadlineMs: Math.max(500, Math.floor(config.ackWaitMs * 0.9)),
  });
  const source = new JetStreamPurchaseEventSource({ ...config, logger: parts.logger, telemetry: parts.telemetry });
  return { source, handler };
}
