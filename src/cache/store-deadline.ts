import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The deadline (a `performance.now()` time) of the request budget a store call runs under, when it is shorter than
 * the store's own bound. Set by `StoreBudget`, read by the Redis driver's `BoundedRedis`, so a call the request has
 * given up on is also given up by the driver: it is never sent later (e.g. once a reconnect completes), which would
 * be a write nobody waits for. Carried in async context because the store interface has no place for it.
 */
export const storeDeadline = new AsyncLocalStorage<number>();
