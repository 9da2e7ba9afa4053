import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisConnection } from '../cache/redis-connection.js';
import { RateLimitedError } from '../errors.js';

export interface ClientLimitsOptions {
  readonly purchasesPerMinute: number;
  /** Users per minute whose list the model may compute for one client (cache hits are free). */
  readonly computesPerMinute: number;
  /**
   * Where budgets are counted so that every replica shares them; absent, each process counts alone (one process, or
   * the memory store). See `SharedBudgets`.
   */
  readonly shared?: SharedBudgets;
  /** Persisted query registrations (see `admitPersistedQuery`); absent, the defaults below. */
  readonly persistedQueries?: PersistedQueryBudgets;
}

export interface SharedBudgets {
  /** A connection of its own (not the cache store's): rate-limiter-flexible drives it with its own commands. */
  readonly connection: RedisConnection;
  /** Budgets are kept under `<keyPrefix><budget>:<client>` (app.ts passes `<CACHE_KEY_PREFIX>recs:limits:`). */
  readonly keyPrefix: string;
  /** A budget check that Redis has not answered within this falls back to the process's own count. */
  readonly timeoutMs: number;
}

export interface PersistedQueryBudgets {
  /** Largest document registered, in UTF-8 bytes; a larger one still runs, it is only not stored. */
  readonly maxDocumentBytes: number;
  /** Registrations one client may make per window. */
  readonly perClient: number;
  /** Bytes of documents all clients together may register per window. */
  readonly globalBytes: number;
  /** The window: the documents' TTL, so what is stored at any moment is at most twice a window's budget. */
  readonly windowSeconds: number;
}

/** Why a persisted query document was or was not registered. */
export type PersistedQueryAdmission = 'admitted' | 'too-large' | 'client-budget' | 'global-budget';

export const DEFAULT_PERSISTED_QUERY_BUDGETS: PersistedQueryBudgets = {
  maxDocumentBytes: 16 * 1024,
  perClient: 100,
  globalBytes: 8 * 1024 * 1024,
  windowSeconds: 24 * 3600,
};

/**
 * A unit taken from a client's budget. `giveBack` returns it when what it paid for did not happen (a purchase the
 * store did not take): best effort, never throws, and never gives more than was taken (see `giveBack` below).
 */
export interface BudgetUnit {
  giveBack(): Promise<void>;
}

/** The one key the global persisted-query budget is counted under. */
const EVERY_CLIENT = 'all';

/**
 * Per-client budgets on the expensive things a client can ask for: purchases (each one invalidates and recomputes),
 * model computations (a client walking through cold user ids would otherwise buy model time for free), and
 * registrations of persisted query documents (which would otherwise fill the shared store).
 *
 * With `shared`, budgets are counted in Redis (rate-limiter-flexible's `RateLimiterRedis`: one atomic Lua INCRBY
 * with expiry per check), so N replicas give a client its budget once, not N times. While Redis is unreachable or
 * slow, each budget falls back to its `insuranceLimiter`, an in-memory count of the same size in this process:
 * requests keep being limited (per replica, as before) instead of failing or going unlimited, and the shared
 * count takes over again when Redis answers.
 */
export class ClientLimits {
  readonly #purchases: Budget;
  readonly #computes: Budget;
  readonly #queryRegistrations: Budget;
  readonly #queryBytes: Budget;
  readonly #maxDocumentBytes: number;

  constructor(options: ClientLimitsOptions) {
    const queries = options.persistedQueries ?? DEFAULT_PERSISTED_QUERY_BUDGETS;
    this.#maxDocumentBytes = queries.maxDocumentBytes;
    const stall = { until: 0 };
    this.#purchases = budget(options.shared, stall, 'purchases', options.purchasesPerMinute, 60);
    this.#computes = budget(options.shared, stall, 'computes', options.computesPerMinute, 60);
    this.#queryRegistrations = budget(options.shared, stall, 'apq-client', queries.perClient, queries.windowSeconds);
    this.#queryBytes = budget(options.shared, stall, 'apq-bytes', queries.globalBytes, queries.windowSeconds);
  }

  /**
   * Takes one purchase from the client's budget, or throws RATE_LIMITED. The caller gives the unit back when the
   * purchase was not recorded, so that retries the gateway asked for (STORE_UNAVAILABLE) are not charged again.
   */
  async takePurchase(clientId: string): Promise<BudgetUnit> {
    const taken = await consumeOrThrow(this.#purchases, clientId, 1, 'purchases');
    return { giveBack: () => giveBack(this.#purchases, clientId, taken) };
  }

  /** Takes `count` model computations from the client's budget, or throws RATE_LIMITED. */
  async takeComputes(clientId: string, count: number): Promise<void> {
    await consumeOrThrow(this.#computes, clientId, count, 'model computations');
  }

  /**
   * Whether a persisted query document of `bytes` may be registered for this client: small enough, within the
   * client's registrations and within everyone's bytes. Never throws: a refusal only means the document is not
   * stored (the request itself is answered; the client sends the full text again next time).
   */
  async admitPersistedQuery(clientId: string, bytes: number): Promise<PersistedQueryAdmission> {
    if (bytes > this.#maxDocumentBytes) return 'too-large';
    if (!(await consumed(this.#queryRegistrations, clientId, 1))) return 'client-budget';
    if (!(await consumed(this.#queryBytes, EVERY_CLIENT, Math.max(1, Math.ceil(bytes))))) return 'global-budget';
    return 'admitted';
  }
}

// Private: one budget, shared through Redis or counted in this process.

interface Budget {
  readonly limiter: RateLimiterAbstract;
  /** The in-process count used while Redis does not answer in time (the limiter's own insurance for errors). */
  readonly fallback: RateLimiterMemory | undefined;
  readonly timeoutMs: number;
  /** Shared with the other budgets on the same connection: until when Redis is skipped after it timed out. */
  readonly stall: { until: number };
}

/** After Redis timed out once, how long budgets count in-process before asking it again. */
const STALL_BACKOFF_MS = 5_000;

function budget(
  shared: SharedBudgets | undefined,
  stall: { until: number },
  name: string,
  points: number,
  durationSeconds: number,
): Budget {
  const local = new RateLimiterMemory({ points, duration: durationSeconds });
  if (shared === undefined) return { limiter: local, fallback: undefined, timeoutMs: 0, stall };
  const limiter = new RateLimiterRedis({
    storeClient: shared.connection.client,
    useRedisPackage: true,
    // Not connected (down, or reconnecting): straight to the insurance limiter instead of an error per request.
    rejectIfRedisNotReady: true,
    keyPrefix: `${shared.keyPrefix}${name}`,
    points,
    duration: durationSeconds,
    insuranceLimiter: local,
  });
  return { limiter, fallback: local, timeoutMs: shared.timeoutMs, stall };
}

/** A limiter's verdict, and which count gave it (the unit is given back to that count). */
interface Verdict {
  readonly allowed: boolean;
  readonly res: RateLimiterRes;
  readonly counter: RateLimiterAbstract;
}

/** Points taken from a budget: what `giveBack` needs to return them to the same count, in the same window. */
interface Taken {
  readonly points: number;
  readonly counter: RateLimiterAbstract;
  readonly windowEndsAt: number;
}

/** Consumes points; resolves with the limiter's verdict (RateLimiterRes) either way, rejects only on real errors. */
async function consume(budget: Budget, key: string, points: number): Promise<Verdict> {
  const attempt = async (limiter: RateLimiterAbstract): Promise<Verdict> => {
    try {
      return { allowed: true, res: await limiter.consume(key, points), counter: limiter };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { allowed: false, res: rejection, counter: limiter };
      throw rejection;
    }
  };
  if (budget.fallback === undefined) return attempt(budget.limiter);
  // A Redis that accepts the connection but does not answer (stalled, overloaded) must not hold the request: after
  // the bound, the process's own count decides, as it does when Redis is down, and keeps deciding for a few seconds
  // so that a stalled Redis costs one timeout per few seconds, not one per request.
  if (Date.now() < budget.stall.until) return attempt(budget.fallback);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), budget.timeoutMs);
  });
  try {
    const shared = attempt(budget.limiter);
    const first = await Promise.race([shared, late]);
    if (first !== 'late') return first;
    shared.catch(() => {});
    budget.stall.until = Date.now() + STALL_BACKOFF_MS;
    return attempt(budget.fallback);
  } finally {
    clearTimeout(timer);
  }
}

async function consumeOrThrow(budget: Budget, clientId: string, points: number, what: string): Promise<Taken> {
  const { allowed, res, counter } = await consume(budget, clientId, points);
  if (!allowed) throw new RateLimitedError(what, Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  return { points, counter, windowEndsAt: Date.now() + res.msBeforeNext };
}

/**
 * A window about to end is left alone: the points come back with it anyway, and a reward that lands after the count
 * expired would start the next window below zero (rate-limiter-flexible's reward is an INCRBY of minus the points).
 */
const WINDOW_END_MARGIN_MS = 1_000;

/**
 * Returns points to the count they were taken from (Redis, its insurance, or this process's fallback), and only if
 * that count still holds at least as many: a count that was lost meanwhile (Redis restarted, its window ended) is
 * not rewarded, since that would hand out budget nobody paid for. Bounded by the Redis timeout like a check; a
 * refund that cannot be made in time is dropped (the unit stays spent, as it was before refunds existed).
 */
async function giveBack(budget: Budget, key: string, taken: Taken): Promise<void> {
  if (Date.now() >= taken.windowEndsAt - WINDOW_END_MARGIN_MS) return;
  const refund = async (): Promise<void> => {
    const current = await taken.counter.get(key);
    if (current === null || current.consumedPoints < taken.points) return;
    await taken.counter.reward(key, taken.points);
  };
  const attempt = refund().catch(() => {});
  if (taken.counter === budget.fallback || budget.fallback === undefined) return attempt;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, budget.timeoutMs);
  });
  try {
    await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function consumed(budget: Budget, key: string, points: number): Promise<boolean> {
  try {
    return (await consume(budget, key, points)).allowed;
  } catch {
    // A budget that cannot be checked at all (both counts failed) refuses to store: the request is still answered.
    return false;
  }
}
