import type { CacheStore, OrderRecord } from '../cache/cache-store.js';
import { orderKey } from '../cache/key-scheme.js';
import { ConflictError } from '../errors.js';
import type { RecommendationService } from '../recs/recommendation-service.js';
import type { Logger } from '../telemetry/events.js';
import type { PurchaseResult } from './purchase-result.js';

export interface PurchaseServiceOptions {
  readonly store: CacheStore;
  readonly recommendations: RecommendationService;
  readonly keyPrefix: string;
  /** How long an orderId is remembered: checkout retries within this window are recognised as duplicates. */
  readonly orderRetentionMs: number;
  /** How long a retry waits for a pending first attempt to finish before redoing its (idempotent) work. Default 2 s. */
  readonly pendingWaitMs?: number;
  readonly logger: Logger;
}

/**
 * Idempotent purchases. Checkout flows retry, so each orderId is claimed once (`SET NX` on Redis, shared by every
 * replica): a retry of a finished order is reported as a duplicate and changes nothing; a retry that finds the
 * first attempt unfinished waits up to `pendingWaitMs` for it, and if it is still unfinished then (it crashed)
 * completes the same work, whose steps are idempotent (the model and the store both keep purchases as sets); the
 * same orderId for another user or item is a conflict.
 */
export class PurchaseService {
  constructor(private readonly options: PurchaseServiceOptions) {}

  async record(userId: string, itemId: string, orderId: string): Promise<PurchaseResult> {
    const { store, logger } = this.options;
    const key = orderKey(this.options.keyPrefix, orderId);
    const pending: OrderRecord = { userId, itemId, status: 'pending', invalidated: false };
    let existing: OrderRecord | undefined;
    try {
      existing = await store.claimOrder(key, pending, this.options.orderRetentionMs);
    } catch (error) {
      // Losing the purchase would be worse than recording it twice (both steps are idempotent): go on, and say so.
      logger.error({ err: error, orderId }, 'order idempotency unavailable; recording the purchase without it');
    }
    if (existing !== undefined) {
      if (existing.userId !== userId || existing.itemId !== itemId) {
        throw new ConflictError(`orderId ${orderId} was already recorded for a different user or item`);
      }
      // A concurrent retry usually finds the first attempt still running: give it a moment to finish rather than
      // redo its work at once (each redo bumps the user's generation and calls the model again; measured: up to 12
      // bumps for one order under 12 concurrent retries). Only an attempt that stays pending (crashed) is redone.
      if (existing.status === 'pending') existing = await this.#awaitDone(key, pending, existing);
      if (existing.status === 'done') {
        return { userId, itemId, orderId, invalidated: existing.invalidated, duplicate: true };
      }
    }
    const invalidated = await this.options.recommendations.recordPurchase(userId, itemId);
    try {
      await store.saveOrder(key, { ...pending, status: 'done', invalidated }, this.options.orderRetentionMs);
    } catch (error) {
      logger.warn({ err: error, orderId }, 'order could not be marked done; a retry will redo its idempotent steps');
    }
    return { userId, itemId, orderId, invalidated, duplicate: existing !== undefined };
  }

  /** Re-reads a pending order until it is done or `pendingWaitMs` is over; resolves with the last record seen. */
  async #awaitDone(key: string, pending: OrderRecord, seen: OrderRecord): Promise<OrderRecord> {
    const deadline = Date.now() + (this.options.pendingWaitMs ?? DEFAULT_PENDING_WAIT_MS);
    let record = seen;
    while (record.status === 'pending' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
      let current: OrderRecord | undefined;
      try {
        // claimOrder reads without overwriting ...
        current = await this.options.store.claimOrder(key, pending, this.options.orderRetentionMs);
      } catch {
        return record;
      }
      // ... unless the record lapsed meanwhile: then this attempt holds the claim and does the work itself.
      if (current === undefined) return record;
      record = current;
    }
    return record;
  }
}

const DEFAULT_PENDING_WAIT_MS = 2_000;
const PENDING_POLL_MS = 20;
