export { operationTracingPlugin } from './plugin.js';
