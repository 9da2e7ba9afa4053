import type { ResponseEffect } from './effect.js';

/**
 * `Cache-Control: no-store` on every GraphQL response: per-user lists must never be kept by a browser or a shared
 * cache (a GET query would otherwise be cacheable by default in many agents).
 *
 * Apollo's cache-control plugin sends the same header for operations without cache hints, which are all of ours; it
 * is disabled because it also instruments every field resolver (`willResolveField`), which cost about 5% of a
 * cache hit's CPU when it was profiled (docs/design.md, "The hit path", lists the cost, now 0). This effect keeps the header and drops that cost.
 */
export const NO_STORE = 'no-store';

export const noStoreEffect: ResponseEffect = {
  name: 'no-store',
  apply(answer) {
    answer.headers.set('cache-control', NO_STORE);
  },
};
