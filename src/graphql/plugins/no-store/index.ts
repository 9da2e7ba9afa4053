export { NO_STORE, noStorePlugin } from './plugin.js';
