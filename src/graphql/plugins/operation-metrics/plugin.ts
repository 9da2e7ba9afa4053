import type { ApolloServerPlugin, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';
import type { OperationOutcome, Telemetry } from '../../../telemetry/events.js';
import type { GatewayContext } from '../../context.js';
import type { RequestRecord } from '../../request-record.js';

/** The operation label of a request whose operation never resolved (unparsable, invalid, unknown persisted query). */
export const UNRESOLVED_OPERATION = 'unresolved';
/** The operation label of a resolved operation without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';

/**
 * Counts every GraphQL operation by name and outcome (`recs_graphql_operations_total`), and notes both in the
 * request's record for the log line. The metric caps the names it keeps (see `PrometheusTelemetry`): names are
 * chosen by clients.
 */
export function operationMetricsPlugin(
  telemetry: Pick<Telemetry, 'graphqlOperation'>,
): ApolloServerPlugin<GatewayContext> {
  // One listener for every request: everything per request is on the request context, so the hit path allocates
  // nothing here. Apollo sets `operation` once the document resolved to one operation (after validation).
  const listener: GraphQLRequestListener<GatewayContext> = {
    async willSendResponse({ operation, operationName, response, contextValue }) {
      const name = operation === undefined ? UNRESOLVED_OPERATION : (operationName ?? ANONYMOUS_OPERATION);
      const record = contextValue.record;
      record.operationType = operation?.operation;
      record.errorCodes = errorCodesOf(response.body);
      noteOperation(telemetry, record, name, outcomeOf(response.body));
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

/** Counts one operation and notes it in the request's record (shared with the fast path, which has no plugins). */
export function noteOperation(
  telemetry: Pick<Telemetry, 'graphqlOperation'>,
  record: RequestRecord,
  name: string,
  outcome: OperationOutcome,
): void {
  record.operationName = name;
  record.outcome = outcome;
  telemetry.graphqlOperation(name, outcome);
}

/**
 * GraphQL over HTTP tells a request error (no `data` entry at all: nothing was executed) from a field error (`data`
 * present, possibly null). An incremental response is judged by its initial payload.
 */
export function outcomeOf(body: GraphQLResponse['body']): OperationOutcome {
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  if (result.errors === undefined || result.errors.length === 0) return 'success';
  if (!('data' in result) || result.data === undefined) return 'rejected';
  return result.data === null ? 'error' : 'partial';
}

/** The distinct `extensions.code`s of an answer's errors, in order; `none` for an error without one. */
export function errorCodesOf(body: GraphQLResponse['body']): string[] {
  const result = body.kind === 'single' ? body.singleResult : body.initialResult;
  if (result.errors === undefined || result.errors.length === 0) return [];
  const codes: string[] = [];
  for (const error of result.errors) {
    const code = error.extensions?.code;
    const label = typeof code === 'string' && code !== '' ? code : 'none';
    if (!codes.includes(label)) codes.push(label);
  }
  return codes;
}
