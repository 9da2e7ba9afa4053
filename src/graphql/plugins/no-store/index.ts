export { noStorePlugin } from './plugin.js';
