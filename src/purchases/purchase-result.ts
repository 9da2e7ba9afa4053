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
}
