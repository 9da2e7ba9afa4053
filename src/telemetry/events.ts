/**
 * Every observable fact of the read path, as one small interface the cache and loaders report to. Metrics and logs
 * subscribe by implementing it, so the cache never imports a metrics library (the bentocache habit: events out,
 * metrics built on top).
 */
export type CacheReadResult = 'hit' | 'stale' | 'miss';
export type ServedSource = 'CACHE' | 'MODEL' | 'STALE';
export type ModelCallOutcome = 'ok' | 'error';
export type InvalidationReason = 'purchase';
/**
 * How one GraphQL operation ended, in the GraphQL-over-HTTP spec's terms: `success` (no errors), `partial` (data
 * with field errors), `error` (execution ran but `data` is null) and `rejected` (a request error: unparsable,
 * invalid, unknown persisted query or bad variables, so nothing was executed).
 */
export type OperationOutcome = 'success' | 'partial' | 'error' | 'rejected';
/** What the GraphQL fast path did with a POST (graphql/fast-path.ts): answered it, handed it to Apollo, or passed. */
export type FastPathOutcome = 'served' | 'handed_over' | 'passed';
/** A circuit breaker's state, in the usual three-state machine (closed lets calls through, open fails them fast). */
export type BreakerState = 'closed' | 'half-open' | 'open';

export interface Telemetry {
  cacheRead(result: CacheReadResult, count: number): void;
  served(source: ServedSource, modelVersion: string, ageSeconds: number): void;
  modelCall(outcome: ModelCallOutcome, durationMs: number, batchSize: number): void;
  invalidation(reason: InvalidationReason): void;
  storeError(operation: string): void;
  /** A recompute whose result was not written because a purchase bumped the user's generation meanwhile. */
  writeRefused(count: number): void;
  /** One GraphQL operation answered; `operation` is its name, or `anonymous`/`unresolved` (metrics cap the names). */
  graphqlOperation(operation: string, outcome: OperationOutcome): void;
  /** One GraphQL POST seen by the fast path, and what it did with it. */
  fastPath(outcome: FastPathOutcome): void;
  /** Hook for a breaker around the model: report every state change. */
  breakerState(state: BreakerState): void;
  /** Hook for a cache warm-up: `done` of `total` users computed so far (report as it goes, and at the end). */
  warmupProgress(done: number, total: number): void;
  /** Hook for a purge run inside the gateway: `keys` more keys removed. */
  purged(keys: number): void;
}

export const silentTelemetry: Telemetry = {
  cacheRead() {},
  served() {},
  modelCall() {},
  invalidation() {},
  storeError() {},
  writeRefused() {},
  graphqlOperation() {},
  fastPath() {},
  breakerState() {},
  warmupProgress() {},
  purged() {},
};

/** The part of pino the inner layers use, so they can be given any logger (or a silent one in tests). */
export interface Logger {
  error(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  info(object: object, message?: string): void;
  debug(object: object, message?: string): void;
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * What became of one purchase event from a broker (events/purchase-event-handler.ts): `applied` and `duplicate` were
 * acknowledged; `redelivered` was handed back to be delivered again later (the store could not take it yet);
 * `malformed` and `conflict` were set aside for good (dead-letter).
 */
export type PurchaseEventOutcome = 'applied' | 'duplicate' | 'redelivered' | 'malformed' | 'conflict';

/** Reports of the purchase event consumer, kept apart from `Telemetry` so the read path's fakes need not grow. */
export interface PurchaseEventTelemetry {
  purchaseEvent(outcome: PurchaseEventOutcome): void;
  /** The consumer's connection to its broker went up (true) or down (false). */
  purchaseEventsConnected(connected: boolean): void;
}

export const silentPurchaseEventTelemetry: PurchaseEventTelemetry = {
  purchaseEvent() {},
  purchaseEventsConnected() {},
};
