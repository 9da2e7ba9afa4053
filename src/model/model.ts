/**
 * The ranking model as the gateway sees it: a versioned, batched scorer.
 *
 * The built-in scorer (`builtin-model.ts`) implements it in-process; a remote ranking service can implement
 * the same interface over HTTP. Everything above this file depends only on this interface.
 */

/** One scored item of a ranked list; lists are ordered by descending score. */
export interface RankedItem {
  readonly itemId: string;
  readonly score: number;
}

/** A user's ranked list, labelled with the model version that actually computed it. */
export interface RankedList {
  readonly userId: string;
  readonly modelVersion: string;
  readonly items: readonly RankedItem[];
}

export interface Model {
  /** The version that new computations will be labelled with. May change over time for a remote model. */
  currentVersion(): string;
  /**
   * Scores every candidate item for each user and returns the top `limit` items, best first, excluding items the
   * user has bought. One result per user id, in the same order: a list, or an Error for that user alone.
   */
  scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>>;
  /** Tells the model a user bought an item, so later rankings exclude it (and may shift the user's taste). */
  recordPurchase(userId: string, itemId: string): Promise<void>;
  /**
   * Optional health check for `/readyz`: resolves when the model can answer (a remote model pings its service).
   * A model without it is taken to be as reachable as its process, as the in-process one is.
   */
  ping?(): Promise<void>;
  /**
   * Optional: this model for background measurement (the freshness inspector's shadow recomputes), whose calls must
   * not count toward the health of the model real traffic sees: a remote model's view goes out only while its circuit
   * breaker is closed and never reports to it. A model without it is used as is: it keeps no such accounting.
   */
  forShadowCalls?(): Model;
  /** Releases worker threads, sockets or timers. */
  close(): Promise<void>;
}
