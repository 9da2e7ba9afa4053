import { SpanStatusCode, context } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type { OperationOutcome } from '../events.js';
import { currentOperationSlot } from './request-context.js';

export type OperationType = 'query' | 'mutation' | 'subscription';

/**
 * The GraphQL operation span of the current request. Both answering paths drive it the same way, so a trace looks
 * the same whoever answered: the fast path begins it before it executes and ends it when it answers; when it hands a
 * result over to Apollo the span stays open, and Apollo (the operation-tracing response effect,
 * `graphql/response/operation-tracing.ts`) resumes and ends it.
 */
export interface OperationTracing {
  /** Opens the operation span, or keeps the one already open for this request. */
  begin(): void;
  /** Ends it, named after the operation type (names are chosen by clients: they go in an attribute, capped). */
  end(answer: OperationAnswer): void;
}

export interface OperationAnswer {
  readonly type: OperationType | undefined;
  readonly name: string | undefined;
  readonly outcome: OperationOutcome;
  /** Distinct `extensions.code`s of the answer's errors. */
  readonly errorCodes: readonly string[];
  /** Whether the fast path answered it (false: Apollo did). */
  readonly fastPath: boolean;
}

const MAX_NAME_LENGTH = 64;

export function createOperationTracing(tracer: Tracer): OperationTracing {
  return {
    begin() {
      const slot = currentOperationSlot();
      if (slot === undefined || slot.span !== undefined) return;
      // The active context is the request's (its span is the parent): the slot is empty, so nothing overrides it.
      slot.span = tracer.startSpan('graphql', {}, context.active());
    },
    end(answer) {
      const slot = currentOperationSlot();
      const span = slot?.span;
      if (slot === undefined || span === undefined) return;
      slot.span = undefined;
      // OpenTelemetry's GraphQL conventions: `{type}` as the span name, the operation in attributes.
      span.updateName(answer.type ?? 'graphql');
      span.setAttributes({
        ...(answer.type === undefined ? {} : { 'graphql.operation.type': answer.type }),
        ...(answer.name === undefined ? {} : { 'graphql.operation.name': answer.name.slice(0, MAX_NAME_LENGTH) }),
        'recs.outcome': answer.outcome,
        'recs.fast_path': answer.fastPath,
        'recs.cache.hit': slot.hit,
        'recs.cache.stale': slot.stale,
        'recs.cache.miss': slot.miss,
        'recs.model_version': slot.versions,
        ...(answer.errorCodes.length === 0 ? {} : { 'recs.error_codes': [...answer.errorCodes] }),
      });
      if (answer.outcome !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: answer.outcome });
      span.end();
    },
  };
}
