export { cacheSignalsPlugin, cacheStatus } from './plugin.js';
export type { CacheSignal, CacheSignalsOptions } from './plugin.js';
