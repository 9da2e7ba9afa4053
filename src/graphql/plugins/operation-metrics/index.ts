export { ANONYMOUS_OPERATION, UNRESOLVED_OPERATION, noteOperation, operationMetricsPlugin, outcomeOf } from './plugin.js';
