export { persistedQueriesPlugin } from './plugin.js';
export type { PersistedQueriesPluginOptions } from './plugin.js';
