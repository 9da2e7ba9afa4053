/** What `recordPurchase` reports (the GraphQL `RecordPurchasePayload` before field resolution). */
export interface PurchaseResult {
  readonly userId: string;
  readonly itemId: string;
  readonly orderId: string;
  /** The user's cached list was cleared. */
  readonly invalidated: boolean;
  /** The orderId had been recorded before: this call changed nothing. */
  readonly duplicate: boolean;
}
