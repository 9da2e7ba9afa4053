export { ANONYMOUS_OPERATION, UNRESOLVED_OPERATION, operationMetricsPlugin, outcomeOf } from './plugin.js';
