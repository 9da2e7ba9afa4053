/** What `recordPurchase` reports (the GraphQL `RecordPurchasePayload` before field resolution). */
export interface PurchaseResult {
  readonly userId: string;
  readonly itemId: string;
  readonly orderId: string;
  /** The user's cached list was cleared. */
  readonly invalidated: boolean;
}
