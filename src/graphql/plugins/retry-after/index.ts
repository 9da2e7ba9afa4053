export { retryAfterPlugin, retryAfterSeconds } from './plugin.js';
