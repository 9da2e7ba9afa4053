import type { OperationTracing } from '../../telemetry/tracing/operation-spans.js';
import type { ResponseEffect } from './effect.js';

/**
 * The GraphQL operation span: begun when a request starts being answered (or resumed, when the fast path began it
 * and handed its result over to Apollo) and ended with the answer. It runs after the operation-metrics effect, whose
 * record of the outcome and error codes it reads.
 */
export function operationTracingEffect(tracing: OperationTracing): ResponseEffect {
  return {
    name: 'operation-tracing',
    started() {
      tracing.begin();
    },
    apply({ record, operation, fastPath }) {
      tracing.end({
        type: record.operationType,
        name: record.operationType === undefined ? undefined : (operation?.name ?? undefined),
        outcome: record.outcome ?? 'rejected',
        errorCodes: record.errorCodes ?? [],
        fastPath,
      });
    },
  };
}
