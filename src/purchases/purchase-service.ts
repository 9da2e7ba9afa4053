import type { OrderLedger, OrderRecord } from '../cache/order-ledger.js';
import { orderKey } from '../cache/key-scheme.js';
import { ConflictError, PurchaseNotAppliedError, StoreUnavailableError } from '../errors.js';
import type { RecommendationService } from '../recs/recommendation-service.js';
import type { Logger } from '../telemetry/events.js';
import type { PurchaseResult } from './purchase-result.js';

/** One purchase as checkout sent it, with the time this replica first took it. */
export interface PurchaseOrder {
  readonly userId: string;
  readonly itemId: string;
  readonly orderId: string;
  readonly at: number;
  /**
   * Who sent it (the GraphQL `context.clientId`): the outbox gives each client a share. Absent for purchases from
   * the durable event stream.
   */
  readonly clientId?: string;
}

/** Where a purchase the store could not take waits until it can (`purchase-outbox.ts`); absent, nothing is kept. */
export interface PurchaseHolder {
  /** Keeps the purchase and applies it once the store answers. */
  hold(order: PurchaseOrder): void;
  /** Whether this process already holds the order (then its pending record is ours: no need to wait on it). */
  holds(orderId: string): boolean;
  /** The order was applied by another path (a retry): stop holding it. */
  release(orderId: string): void;
}

export interface PurchaseServiceOptions {
  /** Where order records live; the purchase itself reaches the list store through `recommendations`. */
  readonly orders: OrderLedger;
  readonly recommendations: RecommendationService;
  readonly keyPrefix: string;
  /** How long an orderId is remembered: checkout retries within this window are recognised as duplicates. */
  readonly orderRetentionMs: number;
  /** How long a retry waits for a pending first attempt to finish before redoing its (idempotent) work. Default 2 s. */
  readonly pendingWaitMs?: number;
  /** The retry hint a checkout caller gets with STORE_UNAVAILABLE. Default 1 s. */
  readonly retryAfterSeconds?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Purchases, answered honestly. `record()` resolves only once the purchase has been applied to the store (order
 * claimed, generation bumped, item remembered, list deleted); otherwise it rejects with `PurchaseNotAppliedError`
 * (STORE_UNAVAILABLE, retryable), and the purchase is handed to the holder, which applies it as soon as the store
 * answers, whether or not checkout ever retries.
 *
 * Idempotent by orderId, in two steps because the order key is not in the user's Redis Cluster slot (it must be
 * found by orderId alone, to refuse the same id for another user):
 *
 *   claim the order (`pending`) → apply the purchase (one atomic script in the user's slot) → mark the order `done`
 *
 * Only `done` is ever answered `duplicate: true`, and `done` is written only after the purchase landed. A crash or a
 * store failure between the steps leaves `pending`: a retry waits a moment for the attempt that wrote it (it may
 * still be running), then redoes the steps, which are idempotent (the bought items are a set; a second generation
 * bump only costs one recompute). The same orderId for another user or item is a conflict.
 */
export class PurchaseService {
  readonly #options: PurchaseServiceOptions;
  readonly #now: () => number;
  #holder: PurchaseHolder | undefined;

  constructor(options: PurchaseServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Set once at wiring time: the outbox needs this service to apply, and this service hands it what failed. */
  holdFailuresIn(holder: PurchaseHolder): void {
    this.#holder = holder;
  }

  async record(userId: string, itemId: string, orderId: string, clientId?: string): Promise<PurchaseResult> {
    const order: PurchaseOrder = { userId, itemId, orderId, at: this.#now(), clientId };
    try {
      const result = await this.apply(order);
      this.#holder?.release(orderId);
      return result;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.#holder?.hold(order);
      throw new PurchaseNotAppliedError(orderId, this.#options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS, error);
    }
  }

  /**
   * Every step of one purchase; the outbox calls this too. Rejects with StoreUnavailableError when the store failed
   * at any step (nothing is `done` then), or ConflictError.
   */
  async apply(order: PurchaseOrder): Promise<PurchaseResult> {
    const { orders, recommendations, logger } = this.#options;
    const { userId, itemId, orderId } = order;
    const key = orderKey(this.#options.keyPrefix, orderId);
    const pending: OrderRecord = { userId, itemId, status: 'pending', invalidated: false, claimedAt: this.#now() };
    // Asked before the claim: an attempt that failed on a store that was down never wrote its pending record.
    const heldHere = this.#holder?.holds(orderId) ?? false;
    let existing = await orders.claimOrder(key, pending, this.#options.orderRetentionMs);
    if (existing !== undefined) {
      if (existing.userId !== userId || existing.itemId !== itemId) {
        throw new ConflictError(`orderId ${orderId} was already recorded for a different user or item`);
      }
      // A concurrent retry usually finds the first attempt still running: give it a moment to finish rather than
      // redo its work at once (each redo bumps the user's generation and calls the model again; measured: up to 12
      // bumps for one order under 12 concurrent retries). Only an attempt that stays pending (crashed, or failed on
      // the store) is redone; one this process holds itself is known to have failed, so it is redone at once.
      if (existing.status === 'pending' && !(this.#holder?.holds(orderId) ?? false))
        existing = await this.#awaitDone(key, pending, existing);
      if (existing.status === 'done' && existing.invalidated) {
        return { userId, itemId, orderId, invalidated: true, duplicate: true, replay: true };
      }
    }
    await recommendations.learnPurchase(userId, itemId);
    await recommendations.applyPurchase(userId, itemId, order.at);
    try {
      await orders.saveOrder(
        key,
        { userId, itemId, status: 'done', invalidated: true },
        this.#options.orderRetentionMs,
      );
    } catch (error) {
      // The purchase is applied, which is what the caller needs to know; a retry finds `pending` and redoes the
      // idempotent steps.
      logger.warn({ err: error, orderId }, 'order could not be marked done; a retry will redo its idempotent steps');
    }
    const result = { userId, itemId, orderId, invalidated: true, duplicate: existing !== undefined };
    return heldHere ? { ...result, completedHeld: true } : result;
  }

  /** Re-reads a pending order until it is done or its wait is over; resolves with the last record seen. */
  async #awaitDone(key: string, pending: OrderRecord, seen: OrderRecord): Promise<OrderRecord> {
    const waitMs = this.#options.pendingWaitMs ?? DEFAULT_PENDING_WAIT_MS;
    // The wait runs from when that attempt claimed the order: one that failed long ago is not waited for again.
    const deadline = Math.min(this.#now() + waitMs, (seen.claimedAt ?? Number.POSITIVE_INFINITY) + waitMs);
    let record = seen;
    while (record.status === 'pending' && this.#now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
      // claimOrder reads without overwriting ... (a store failure here rejects: the caller says "not applied")
      const current = await this.#options.orders.claimOrder(key, pending, this.#options.orderRetentionMs);
      // ... unless the record lapsed meanwhile: then this attempt holds the claim and does the work itself.
      if (current === undefined) return record;
      record = current;
    }
    return record;
  }
}

const DEFAULT_PENDING_WAIT_MS = 2_000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const PENDING_POLL_MS = 20;
