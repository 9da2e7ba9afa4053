export { cacheSignalsPlugin, cacheStatus, setCacheHeaders, withCacheSignals } from './plugin.js';
export type { CacheSignal, CacheSignalsOptions } from './plugin.js';
