import { StoreNotAttemptedError, StoreUnavailableError } from '../errors.js';
import { runWithStoreDeadline } from './store-deadline.js';

/**
 * One time budget for every store call of one request: read, lease, lease-wait polls, write. Why: each call alone is
 * bounded by REDIS_TIMEOUT_MS, but a read that waits out the read, then the lease, then the write waits three times
 * (measured: 3.1 s with a 1 s timeout on a frozen Redis). With one budget a request waits on the store for at most
 * `totalMs` in all, and once it is spent the remaining calls fail at once: the request answers from the model.
 *
 * Only time spent waiting on the store counts (not the model's), and overlapping calls count twice (conservative).
 */
export class StoreBudget {
  readonly #totalMs: number;
  readonly #now: () => number;
  #spentMs = 0;

  constructor(totalMs: number, now: () => number = () => performance.now()) {
    this.#totalMs = totalMs;
    this.#now = now;
  }

  get remainingMs(): number {
    return this.#totalMs - this.#spentMs;
  }

  get spent(): boolean {
    return this.remainingMs <= 0;
  }

  /**
   * Not an async function: with the whole budget left (every cache hit's only store call) the store's promise is
   * chained once, instead of being awaited inside another promise.
   */
  run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const remaining = this.remainingMs;
    if (remaining <= 0)
      return Promise.reject(
        new StoreNotAttemptedError(operation, new Error('the request spent its store time budget')),
      );
    const started = this.#now();
    const spend = (): void => {
      this.#spentMs += this.#now() - started;
    };
    let pending: Promise<T>;
    try {
      // With the whole budget left, the store's own bound (the same REDIS_TIMEOUT_MS) is the limit: no timer needed,
      // which keeps the hit path (one read) free of one.
      pending =
        remaining >= this.#totalMs || !Number.isFinite(remaining)
          ? call()
          : // The driver learns the deadline too (`store-deadline.ts`); the race covers stores that do not look.
            raceRemaining(operation, runWithStoreDeadline(performance.now() + remaining, call), remaining);
    } catch (error) {
      spend();
      return rejection(error);
    }
    return pending.then(
      (result) => {
        spend();
        return result;
      },
      (error: unknown) => {
        spend();
        throw error;
      },
    );
  }
}

/** No budget at all: every call runs under the store's own bound only. */
export const UNBOUNDED_BUDGET_MS = Number.POSITIVE_INFINITY;

function raceRemaining<T>(operation: string, pending: Promise<T>, remainingMs: number): Promise<T> {
  // The call goes on after the request gave up on it; its late outcome is the store's business (and its breaker's).
  pending.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreUnavailableError(
            operation,
            new Error(`no answer within the request's remaining ${Math.round(remainingMs)} ms`),
          ),
        ),
      remainingMs,
    );
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

/** A rejected promise with exactly what a store call threw synchronously, as an async function would give it. */
async function rejection(error: unknown): Promise<never> {
  throw error;
}
