/**
 * Every observable fact of the read path, as one small interface the cache and loaders report to. Metrics and logs
 * subscribe by implementing it, so the cache never imports a metrics library (the bentocache habit: events out,
 * metrics built on top).
 */
export type CacheReadResult = 'hit' | 'stale' | 'miss';
export type ServedSource = 'CACHE' | 'MODEL' | 'STALE';
export type ModelCallOutcome = 'ok' | 'error';
export type InvalidationReason = 'purchase';

export interface Telemetry {
  cacheRead(result: CacheReadResult, count: number): void;
  served(source: ServedSource, modelVersion: string, ageSeconds: number): void;
  modelCall(outcome: ModelCallOutcome, durationMs: number, batchSize: number): void;
  invalidation(reason: InvalidationReason): void;
  storeError(operation: string): void;
  /** A recompute whose result was not written because a purchase bumped the user's generation meanwhile. */
  writeRefused(count: number): void;
}

export const silentTelemetry: Telemetry = {
  cacheRead() {},
  served() {},
  modelCall() {},
  invalidation() {},
  storeError() {},
  writeRefused() {},
};

/** The part of pino the inner layers use, so they can be given any logger (or a silent one in tests). */
export interface Logger {
  error(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  info(object: object, message?: string): void;
  debug(object: object, message?: string): void;
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
