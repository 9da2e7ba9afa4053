import type { OperationOutcome, Telemetry } from '../../telemetry/events.js';
import { UNRESOLVED_OPERATION } from '../request-record.js';
import type { RequestRecord } from '../request-record.js';
import type { GraphQLAnswer, ResponseEffect } from './effect.js';

/** The operation label of a resolved operation without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';

/**
 * Counts every GraphQL operation by name and outcome (`recs_graphql_operations_total`), and notes the operation,
 * its type, outcome and error codes in the request's record, for the log line, the request metrics and the span.
 * The metric caps the names it keeps (see `PrometheusTelemetry`): names are chosen by clients.
 */
export function operationMetricsEffect(telemetry: Pick<Telemetry, 'graphqlOperation'>): ResponseEffect {
  return {
    name: 'operation-metrics',
    apply({ operation, result, record }) {
      const name = operation === undefined ? UNRESOLVED_OPERATION : (operation.name ?? ANONYMOUS_OPERATION);
      record.operationType = operation?.type;
      record.errorCodes = errorCodesOf(result);
      noteOperation(telemetry, record, name, outcomeOf(result));
    },
  };
}

function noteOperation(
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
export function outcomeOf(result: GraphQLAnswer['result']): OperationOutcome {
  if (result.errors === undefined || result.errors.length === 0) return 'success';
  if (!('data' in result) || result.data === undefined) return 'rejected';
  return result.data === null ? 'error' : 'partial';
}

/** The distinct `extensions.code`s of an answer's errors, in order; `none` for an error without one. */
export function errorCodesOf(result: GraphQLAnswer['result']): string[] {
  if (result.errors === undefined || result.errors.length === 0) return [];
  const codes: string[] = [];
  for (const error of result.errors) {
    const label = errorCodeLabel(error);
    if (!codes.includes(label)) codes.push(label);
  }
  return codes;
}

/** An error's `extensions.code` as metrics and the log line label it: `none` for an error without one. */
export function errorCodeLabel(error: { readonly extensions?: { readonly code?: unknown } | undefined }): string {
  const code = error.extensions?.code;
  return typeof code === 'string' && code !== '' ? code : 'none';
}
