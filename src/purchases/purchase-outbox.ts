import { AsyncLocalStorage } from 'node:async_hooks';
import { ConflictError, StoreUnavailableError } from '../errors.js';
import type { Logger } from '../telemetry/events.js';
import type { PurchaseHolder, PurchaseOrder } from './purchase-service.js';

export interface PurchaseOutboxOptions {
  /** Applies one purchase to the store (`PurchaseService.apply`): resolves once applied, rejects otherwise. */
  readonly apply: (order: PurchaseOrder) => Promise<unknown>;
  /**
   * Most purchases held at once; past it a purchase is refused (checkout still gets the retryable error). One client
   * holds at most all of it but a tenth (`clientShare`), refused the same way past that.
   */
  readonly maxSize: number;
  /** How often held purchases are retried. The store's breaker makes a retry against a sick store free. */
  readonly retryEveryMs?: number;
  readonly logger: Logger;
}

/**
 * The purchases this replica took but could not apply to the store: kept in memory and retried until the store
 * takes them, so a purchase during an outage lands as soon as the store is back, whether or not checkout retries.
 * Meanwhile this replica never serves the user from cache (the store may still hold the list from before the
 * purchase, e.g. Redis restarted from its AOF) and filters the items out of what it computes
 * (`RecommendationService.pendingPurchases`).
 *
 * Retries run every `retryEveryMs` (50 ms) in order of arrival, and stop at the first store failure: against an
 * open breaker that costs nothing, and the first retry after the breaker's cool-down is its half-open probe. So a
 * held purchase lands within one reconnect, one cool-down and one tick of the store answering again.
 *
 * Shared fairly: one client (`PurchaseOrder.clientId`) holds at most all but a tenth of `maxSize`, so a client whose
 * purchases all fail during an outage (they cost it no budget: the unit is given back) cannot take the room the
 * others' purchases need. A purchase past its client's share is refused exactly as one past a full outbox: not held,
 * logged, and checkout still gets STORE_UNAVAILABLE. Nothing held is ever pushed out to make room. Purchases from the
 * durable event stream carry no client and are bounded by `maxSize` alone.
 *
 * Bounded (`maxSize`, PURCHASE_OUTBOX_SIZE) and in memory: a process that dies loses what it holds. That is why
 * checkout is told STORE_UNAVAILABLE (it must retry until it gets an answer) and why durable purchase events exist.
 */
export class PurchaseOutbox implements PurchaseHolder {
  readonly #options: PurchaseOutboxOptions;
  /** By orderId, in order of arrival. */
  readonly #orders = new Map<string, PurchaseOrder>();
  /** The held items of each user, for the read path. */
  readonly #itemsByUser = new Map<string, string[]>();
  /** How many purchases each client has held here; a client holding none has no entry. */
  readonly #heldByClient = new Map<string, number>();
  readonly #clientShare: number;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;
  /**
   * The async context the outbox was built in, outside every request. `hold` runs inside the request whose purchase
   * failed, and a timer set there would carry that request's context (its trace, its request id) into every retry.
   */
  readonly #outsideRequests = AsyncLocalStorage.snapshot();

  constructor(options: PurchaseOutboxOptions) {
    this.#options = options;
    this.#clientShare = clientShare(options.maxSize);
  }

  get size(): number {
    return this.#orders.size;
  }

  hold(order: PurchaseOrder): void {
    if (this.#orders.has(order.orderId) || this.#closed) return;
    if (this.#orders.size >= this.#options.maxSize) {
      this.#options.logger.error(
        { orderId: order.orderId, held: this.#orders.size },
        'purchase outbox full: this purchase is not held; checkout must retry it',
      );
      return;
    }
    const clientHeld = order.clientId === undefined ? 0 : (this.#heldByClient.get(order.clientId) ?? 0);
    if (order.clientId !== undefined && clientHeld >= this.#clientShare) {
      this.#options.logger.error(
        { orderId: order.orderId, clientId: order.clientId, held: clientHeld, share: this.#clientShare },
        "purchase outbox: this client's share is full; this purchase is not held; checkout must retry it",
      );
      return;
    }
    this.#orders.set(order.orderId, order);
    if (order.clientId !== undefined) this.#heldByClient.set(order.clientId, clientHeld + 1);
    this.#itemsByUser.set(order.userId, [...(this.#itemsByUser.get(order.userId) ?? []), order.itemId]);
    this.#schedule();
  }

  holds(orderId: string): boolean {
    return this.#orders.has(orderId);
  }

  release(orderId: string): void {
    const order = this.#orders.get(orderId);
    if (order === undefined) return;
    this.#orders.delete(orderId);
    if (order.clientId !== undefined) {
      const clientHeld = (this.#heldByClient.get(order.clientId) ?? 1) - 1;
      if (clientHeld <= 0) this.#heldByClient.delete(order.clientId);
      else this.#heldByClient.set(order.clientId, clientHeld);
    }
    const items = (this.#itemsByUser.get(order.userId) ?? []).filter(
      (itemId, index, all) => itemId !== order.itemId || all.indexOf(itemId) !== index,
    );
    if (items.length === 0) this.#itemsByUser.delete(order.userId);
    else this.#itemsByUser.set(order.userId, items);
  }

  /** Items of the user's purchases that are held here, not yet in the store; undefined when none. */
  itemsFor(userId: string): readonly string[] | undefined {
    return this.#itemsByUser.get(userId);
  }

  /** Tries every held purchase once, in order, until the store fails; resolves when that pass is over. */
  async drain(): Promise<void> {
    this.#draining ??= this.#drainOnce().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  /** Stops retrying after one last pass; what is still held then is lost with the process (and logged). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.drain();
    if (this.#orders.size > 0) {
      this.#options.logger.error(
        { orderIds: [...this.#orders.keys()] },
        'closing with purchases the store never took; checkout was told to retry them',
      );
    }
  }

  async #drainOnce(): Promise<void> {
    for (const order of [...this.#orders.values()]) {
      if (!this.#orders.has(order.orderId)) continue;
      try {
        await this.#options.apply(order);
        this.release(order.orderId);
        this.#options.logger.info({ orderId: order.orderId }, 'held purchase applied to the store');
      } catch (error) {
        if (error instanceof StoreUnavailableError) return;
        // Not the store's doing: a conflict (another user or item already holds the orderId) never succeeds.
        this.release(order.orderId);
        const level = error instanceof ConflictError ? 'warn' : 'error';
        this.#options.logger[level](
          { err: error, orderId: order.orderId },
          'held purchase dropped: it cannot be applied',
        );
      }
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const retry = (): void => {
      this.#timer = undefined;
      void this.drain().finally(() => {
        if (this.#orders.size > 0) this.#schedule();
      });
    };
    this.#timer = this.#outsideRequests(() => setTimeout(retry, this.#options.retryEveryMs ?? DEFAULT_RETRY_EVERY_MS));
    // Held purchases never keep a process alive on their own; `close()` makes the last attempt.
    this.#timer.unref();
  }
}

const DEFAULT_RETRY_EVERY_MS = 50;

/**
 * The most purchases one client may hold: all of the outbox but a tenth (at least one place), which is kept for the
 * other clients. Not a tenth each: checkout is usually the only client, and it keeps nine tenths of the outbox through
 * an outage; a client flooding it still cannot take the others' room. A fixed share rather than the client's purchase
 * budget, because the budget is per minute while held purchases stay for the whole outage.
 */
export function clientShare(maxSize: number): number {
  return Math.max(1, maxSize - Math.max(1, Math.ceil(maxSize / RESERVED_FOR_OTHERS_DIVISOR)));
}

/** A tenth of the outbox is always left to the clients other than the one holding the most. */
const RESERVED_FOR_OTHERS_DIVISOR = 10;
