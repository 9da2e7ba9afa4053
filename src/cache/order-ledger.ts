/**
 * The order ledger: what the store remembers of each checkout orderId, so a retried purchase is recognised
 * (idempotent purchases, `purchases/purchase-service.ts`). Both drivers implement it next to the list store, in the
 * same Redis (an order record must survive exactly as long as the lists and states it protects), but it is its own
 * interface: the read path never touches orders, and the purchase service touches nothing else of the store directly.
 */

/** What the store remembers of an orderId. */
export interface OrderRecord {
  readonly userId: string;
  readonly itemId: string;
  /** `pending` from the first attempt until its work is done: a retry finds it and finishes the work. */
  readonly status: 'pending' | 'done';
  /** Written with `done`: true once the purchase was applied to the store. A `done` record saying false (written by
   * an older gateway that gave up on the store) is not trusted: a retry applies the purchase again. */
  readonly invalidated: boolean;
  /** When the attempt that wrote a `pending` record claimed it (epoch ms): a retry waits on it only so long. */
  readonly claimedAt?: number;
}

export interface OrderLedger {
  /**
   * Claims an orderId (`SET NX PX`): resolves undefined when this call claimed it, or with the record already there
   * (which is left as it is).
   */
  claimOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<OrderRecord | undefined>;
  /** Overwrites the order's record, e.g. pending → done. */
  saveOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<void>;
}
