export { internalErrorsPlugin } from './plugin.js';
