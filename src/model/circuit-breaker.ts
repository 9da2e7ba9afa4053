/**
 * A circuit breaker for calls to the remote model service: a pure state machine over an injectable clock, with no
 * timers and no I/O, so every transition can be tested by moving the clock.
 *
 *   closed ──(failureThreshold consecutive failures)──▶ open ──(coolDownMs elapsed)──▶ half-open
 *   half-open ──(the probe succeeds)──▶ closed          half-open ──(the probe fails)──▶ open (cool-down restarts)
 *
 * Why: when the model service is down or drowning, every read that misses the cache would otherwise wait its full
 * timeout and add load to a service that cannot answer. Open, the breaker fails those calls at once, so the gateway
 * serves graced STALE lists (or MODEL_UNAVAILABLE) in microseconds, and the service gets room to recover. Half-open
 * lets exactly one probe through at a time; a probe whose outcome is never reported (a caller that crashed) stops
 * blocking after another cool-down, so the breaker cannot wedge itself open.
 *
 * Callers ask `tryAcquire()` before each attempt and report the attempt with `onSuccess()` or `onFailure()`.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open the breaker. */
  readonly failureThreshold: number;
  /** How long the breaker stays open before letting one probe through. */
  readonly coolDownMs: number;
  readonly now?: () => number;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  readonly #now: () => number;
  #state: BreakerState = 'closed';
  #consecutiveFailures = 0;
  /** When the breaker last opened: the cool-down runs from here. */
  #openedAt = 0;
  /** When the half-open probe was let through; undefined while no probe is out. */
  #probeSince: number | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.failureThreshold = getValidThreshold(options.failureThreshold);
    this.coolDownMs = getValidCoolDown(options.coolDownMs);
    this.#now = options.now ?? Date.now;
  }

  /** The state as of now: an open breaker whose cool-down has elapsed reads as half-open. */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.coolDownMs) return 'half-open';
    return this.#state;
  }

  /** Failed attempts in a row since the last success. */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Whether an attempt may go out now. In half-open, true for exactly one caller: the probe. */
  tryAcquire(): boolean {
    const now = this.#now();
    switch (this.state) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        // A probe already out blocks others, unless it was lost (its outcome never reported) for a whole cool-down.
        if (this.#probeSince !== undefined && now - this.#probeSince < this.coolDownMs) return false;
        this.#state = 'half-open';
        this.#probeSince = now;
        return true;
    }
  }

  /**
   * Ends an open breaker's cool-down now: the next attempt is the half-open probe. For callers that learn by other
   * means that the service is back (a reconnected socket), so recovery need not wait out the cool-down.
   */
  endCoolDown(): void {
    if (this.#state === 'open') this.#openedAt = this.#now() - this.coolDownMs;
  }

  onSuccess(): void {
    this.#state = 'closed';
    this.#consecutiveFailures = 0;
    this.#probeSince = undefined;
  }

  onFailure(): void {
    this.#consecutiveFailures += 1;
    // A failed probe reopens at once; a closed breaker opens at the threshold. Failures reported while open (attempts
    // that were already in flight when it opened) leave the cool-down where it is.
    if (
      this.#state === 'half-open' ||
      (this.#state === 'closed' && this.#consecutiveFailures >= this.failureThreshold)
    ) {
      this.#state = 'open';
      this.#openedAt = this.#now();
      this.#probeSince = undefined;
    }
  }
}

// Private: option checks, contract first, then the bad value.

function getValidThreshold(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`CircuitBreaker failureThreshold must be a positive integer, but got: ${value}`);
  }
  return value;
}

function getValidCoolDown(value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`CircuitBreaker coolDownMs must be a non-negative number of milliseconds, but got: ${value}`);
  }
  return value;
}
