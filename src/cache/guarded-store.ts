import { StoreNotAttemptedError, StoreUnavailableError } from '../errors.js';
import { CircuitBreaker } from '../model/circuit-breaker.js';
import type { BreakerState } from '../model/circuit-breaker.js';
import type { EntryWrite, PurchaseLimits, StoreDriver, StoreKind, UserSnapshot } from './cache-store.js';
import type { RecentPurchase } from './cache-entry.js';
import type { UserKeys } from './key-scheme.js';
import type { OrderRecord } from './order-ledger.js';

export interface GuardedStoreOptions {
  /** Consecutive store failures (errors or timeouts) that open the breaker. */
  readonly failureThreshold: number;
  /** How long the breaker stays open before one call probes the store again. */
  readonly coolDownMs: number;
  /** Told when the breaker opens or closes (once per change, not per call): the place for one log line. */
  readonly onChange?: (state: 'open' | 'closed') => void;
  readonly now?: () => number;
}

/**
 * A circuit breaker around a store (the model's breaker, `model/circuit-breaker.ts`, around Redis). Why: without it
 * a frozen Redis costs every read its full timeout, forever, because nothing remembers that the store is sick.
 * Open, every call fails at once with StoreUnavailableError without touching the store, so reads answer from the
 * model in model time; after `coolDownMs` one call goes through as the probe, and its success closes the breaker.
 *
 * Only StoreUnavailableError (a failure or timeout of the store itself) counts against the store; other errors
 * (a bad argument) say nothing about its health.
 *
 * It wraps the whole driver, order ledger and purge included: they reach the same Redis, so their failures count
 * against the same breaker (purchases are held while it is open).
 */
export class GuardedStore implements StoreDriver {
  readonly kind: StoreKind;
  readonly #inner: StoreDriver;
  readonly #breaker: CircuitBreaker;
  readonly #onChange: (state: 'open' | 'closed') => void;
  #wasOpen = false;

  constructor(inner: StoreDriver, options: GuardedStoreOptions) {
    this.#inner = inner;
    this.#onChange = options.onChange ?? (() => {});
    this.kind = inner.kind;
    this.#breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      coolDownMs: options.coolDownMs,
      now: options.now,
    });
  }

  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** Whether a call would go out now, without taking the half-open probe: for callers that only want to know. */
  get available(): boolean {
    return this.#breaker.state !== 'open';
  }

  /** The store's connection is back: let the next call probe it now rather than after the cool-down. */
  storeReady(): void {
    this.#breaker.endCoolDown();
  }

  readMany(keys: readonly UserKeys[]): Promise<UserSnapshot[]> {
    return this.#guard('read', () => this.#inner.readMany(keys));
  }

  writeMany(writes: readonly EntryWrite[]): Promise<boolean[]> {
    return this.#guard('write', () => this.#inner.writeMany(writes));
  }

  acquireLeases(keys: readonly UserKeys[], token: string, ttlMs: number): Promise<boolean[]> {
    return this.#guard('lease', () => this.#inner.acquireLeases(keys, token, ttlMs));
  }

  releaseLeases(keys: readonly UserKeys[], token: string): Promise<void> {
    return this.#guard('lease', () => this.#inner.releaseLeases(keys, token));
  }

  recordPurchase(keys: UserKeys, purchase: RecentPurchase, limits: PurchaseLimits): Promise<boolean> {
    return this.#guard('purchase', () => this.#inner.recordPurchase(keys, purchase, limits));
  }

  claimOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<OrderRecord | undefined> {
    return this.#guard('order', () => this.#inner.claimOrder(orderKey, record, ttlMs));
  }

  saveOrder(orderKey: string, record: OrderRecord, ttlMs: number): Promise<void> {
    return this.#guard('order', () => this.#inner.saveOrder(orderKey, record, ttlMs));
  }

  purgeVersion(patterns: readonly string[], batchSize: number): Promise<number> {
    return this.#guard('purge', () => this.#inner.purgeVersion(patterns, batchSize));
  }

  ping(): Promise<void> {
    return this.#guard('ping', () => this.#inner.ping());
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /**
   * Not an async function: the store's own promise is chained once instead of being awaited in another promise,
   * which every cache hit paid for (an extra promise and resumption per layer of the read).
   */
  #guard<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (!this.#breaker.tryAcquire())
      return Promise.reject(new StoreNotAttemptedError(operation, new Error('circuit breaker open')));
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      this.#failed(error);
      return rejection(error);
    }
    return pending.then(
      (result) => {
        this.#breaker.onSuccess();
        this.#report();
        return result;
      },
      (error: unknown) => {
        this.#failed(error);
        throw error;
      },
    );
  }

  #failed(error: unknown): void {
    if (error instanceof StoreUnavailableError) this.#breaker.onFailure();
    this.#report();
  }

  #report(): void {
    const open = this.#breaker.state !== 'closed';
    if (open === this.#wasOpen) return;
    this.#wasOpen = open;
    this.#onChange(open ? 'open' : 'closed');
  }
}

/** A rejected promise with exactly what a store call threw synchronously, as an async function would give it. */
async function rejection(error: unknown): Promise<never> {
  throw error;
}
