import type { CacheEntry } from '../cache/cache-entry.js';
import type { ServedSource } from '../telemetry/events.js';
import type { DriftTracker } from './drift-tracker.js';

/** Takes a look at lists served from cache; must return at once (it runs on the hit path). */
export interface ServedListSampler {
  offer(userId: string, entry: CacheEntry, source: Exclude<ServedSource, 'MODEL'>, servedAt: number): void;
}

/** What the recommendation service calls for freshness: at each recompute, and after serving a cached list. */
export interface FreshnessHooks {
  readonly drift: DriftTracker;
  readonly sampler?: ServedListSampler;
}
