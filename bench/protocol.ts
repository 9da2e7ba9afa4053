/**
 * The IPC protocol between the bench process and the servers under test (each in its own child process).
 * Messages arrive as `unknown`; the guards below narrow them without trusting their shape.
 */

/** Counters a gateway child reads back from its own metrics registry. */
export interface TelemetryCounters {
  cacheHit: number;
  cacheStale: number;
  cacheMiss: number;
  servedCache: number;
  servedModel: number;
  servedStale: number;
  modelCalls: number;
  modelUsers: number;
  /** Sum of the model call durations the service reports (Date.now resolution: exact only on average). */
  modelMs: number;
  storeErrors: number;
  writesRefused: number;
}

/** A snapshot of the child's cumulative counters; the bench process subtracts two of them. */
export interface ServerStats {
  /** process.cpuUsage(), microseconds. */
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  /** performance.eventLoopUtilization(), milliseconds. */
  readonly eluIdleMs: number;
  readonly eluActiveMs: number;
  /** performance.now() of the child when the snapshot was taken. */
  readonly atMs: number;
  /** process.memoryUsage() at the snapshot, bytes (after a full GC when asked to collect and the child can). */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Undefined for the baseline, or if the gateway's metrics could not be read. */
  readonly telemetry: TelemetryCounters | undefined;
}

export type ChildMessage =
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'stats'; readonly id: number; readonly stats: ServerStats };

/** `collect`: run a full GC first (children started with `exposeGc`), so heap figures are live data, not garbage. */
export type ParentMessage = { readonly type: 'stats'; readonly id: number; readonly collect?: boolean };

export function emptyCounters(): TelemetryCounters {
  return {
    cacheHit: 0,
    cacheStale: 0,
    cacheMiss: 0,
    servedCache: 0,
    servedModel: 0,
    servedStale: 0,
    modelCalls: 0,
    modelUsers: 0,
    modelMs: 0,
    storeErrors: 0,
    writesRefused: 0,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isChildMessage(value: unknown): value is ChildMessage {
  if (!isRecord(value)) return false;
  if (value.type === 'ready') return typeof value.url === 'string';
  if (value.type === 'stats') return typeof value.id === 'number' && isRecord(value.stats);
  return false;
}

export function isParentMessage(value: unknown): value is ParentMessage {
  return isRecord(value) && value.type === 'stats' && typeof value.id === 'number';
}
