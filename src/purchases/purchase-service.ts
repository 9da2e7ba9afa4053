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
  readonly logger: Logger;
}

/**
 * Idempotent purchases. Checkout flows retry, so each orderId is claimed once (`SET NX` on Redis, shared by every
 * replica): a retry of a finished order is reported as a duplicate and changes nothing; a retry that finds the
 * first attempt unfinished (it crashed or is still running) completes the same work, whose steps are idempotent
 * (the model and the store both keep purchases as sets); the same orderId for another user or item is a conflict.
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
}
