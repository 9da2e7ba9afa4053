/** What `recordPurchase` reports (the GraphQL `RecordPurchasePayload` before field resolution). */
export interface PurchaseResult {
  readonly userId: string;
  readonly itemId: string;
  readonly orderId: string;
  /** The user's cached list was cleared. */
  readonly invalidated: boolean;
  /** The orderId had been recorded before: this call changed nothing. */
  readonly duplicate: boolean;
  /**
   * Not served: true when this call found the order already done and did no work at all (a `duplicate` whose earlier
   * attempt was left pending is redone, and is not a replay).
   */
  readonly replay?: boolean;
  /**
   * Not served: true when this call applied an order this process already held for the store (`purchase-outbox.ts`),
   * a retry that came before the outbox got to it: work the gateway had taken on with the first attempt.
   */
  readonly completedHeld?: boolean;
}
