/**
 * The deadline (a `performance.now()` time) of the request budget a store call runs under, when it is shorter than
 * the store's own bound. Set by `StoreBudget`, read by the Redis driver's `BoundedRedis`, so a call the request has
 * given up on is also given up by the driver: it is never sent later (e.g. once a reconnect completes), which would
 * be a write nobody waits for.
 *
 * Carried beside the call rather than through its arguments because the store interface has no place for it, and
 * in a plain variable rather than AsyncLocalStorage: on Node 20 the first `AsyncLocalStorage.run` turns on promise
 * hooks for the whole process, for good, and every cache hit paid for them (measured: about a sixth more CPU per
 * hit). A variable is enough because every store reaches its driver before its first `await` (GuardedStore, the
 * tracing wrapper and RedisStore all call down synchronously), so the driver reads it while it is still set.
 */
let current: number | undefined;

/** Runs `call` with `deadline` as the store deadline that the driver it reaches synchronously will read. */
export function runWithStoreDeadline<T>(deadline: number, call: () => T): T {
  const outer = current;
  current = deadline;
  try {
    return call();
  } finally {
    current = outer;
  }
}

/** The deadline of the store call being started, if its request budget set one. */
export function currentStoreDeadline(): number | undefined {
  return current;
}
