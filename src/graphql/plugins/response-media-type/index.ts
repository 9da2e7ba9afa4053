export { responseMediaTypePlugin } from './plugin.js';
