import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { OperationTracing } from '../../../telemetry/tracing/operation-spans.js';
import type { GatewayContext } from '../../context.js';

/**
 * The GraphQL operation span for requests Apollo answers (the fast path drives the same span for its own answers;
 * see `OperationTracing`). Registered only with tracing on, after the operation-metrics plugin, whose record of the
 * outcome and error codes it reads.
 */
export function operationTracingPlugin(tracing: OperationTracing): ApolloServerPlugin<GatewayContext> {
  const listener: GraphQLRequestListener<GatewayContext> = {
    async willSendResponse({ contextValue, operationName }) {
      const record = contextValue.record;
      tracing.end({
        type: record.operationType,
        name: record.operationType === undefined ? undefined : (operationName ?? undefined),
        outcome: record.outcome ?? 'rejected',
        errorCodes: record.errorCodes ?? [],
        fastPath: false,
      });
    },
  };
  return {
    async requestDidStart() {
      // Resumes the span when the fast path began it and handed its result over.
      tracing.begin();
      return listener;
    },
  };
}
