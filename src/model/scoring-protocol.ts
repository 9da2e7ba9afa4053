/** What the main thread and the scoring workers (scoring-worker.ts) send each other: plain, cloneable data. */

export interface ScoringWorkerData {
  readonly version: string;
  readonly itemCount: number;
  readonly dims: number;
  /** Backing stores of the version's Float32Arrays, shared by every worker (`itemCount * dims` and `itemCount`). */
  readonly itemFactors: SharedArrayBuffer;
  readonly itemBias: SharedArrayBuffer;
}

export interface ScoringTask {
  /** `atMs`: the clock reading the user's taste drifts to (built-in model drift); absent without drift. */
  readonly users: ReadonlyArray<{
    readonly userId: string;
    readonly purchasedIndices: readonly number[];
    readonly atMs?: number;
  }>;
  readonly limit: number;
}

export type ScoredUser =
  { readonly itemIndices: Int32Array; readonly scores: Float64Array } | { readonly error: string };
