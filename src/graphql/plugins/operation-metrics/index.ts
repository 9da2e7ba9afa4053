export {
  ANONYMOUS_OPERATION,
  UNRESOLVED_OPERATION,
  errorCodesOf,
  noteOperation,
  operationMetricsPlugin,
  outcomeOf,
} from './plugin.js';
