import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors.js';

export interface ClientLimitsOptions {
  readonly purchasesPerMinute: number;
  /** Users per minute whose list the model may compute for one client (cache hits are free). */
  readonly computesPerMinute: number;
}

/**
 * Per-client budgets on the two expensive things a client can ask for: purchases (each one invalidates and
 * recomputes) and model computations (a client walking through cold user ids would otherwise buy model time for
 * free). Counted per gateway process: with N replicas a client's effective budget is N times these numbers.
 */
export class ClientLimits {
  readonly #purchases: RateLimiterMemory;
  readonly #computes: RateLimiterMemory;

  constructor(options: ClientLimitsOptions) {
    this.#purchases = new RateLimiterMemory({ points: options.purchasesPerMinute, duration: 60 });
    this.#computes = new RateLimiterMemory({ points: options.computesPerMinute, duration: 60 });
  }

  /** Takes one purchase from the client's budget, or throws RATE_LIMITED. */
  async takePurchase(clientId: string): Promise<void> {
    await consume(this.#purchases, clientId, 1, 'purchases');
  }

  /** Takes `count` model computations from the client's budget, or throws RATE_LIMITED. */
  async takeComputes(clientId: string, count: number): Promise<void> {
    await consume(this.#computes, clientId, count, 'model computations');
  }
}

async function consume(limiter: RateLimiterMemory, clientId: string, points: number, what: string): Promise<void> {
  try {
    await limiter.consume(clientId, points);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw new RateLimitedError(what, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    throw rejection;
  }
}
