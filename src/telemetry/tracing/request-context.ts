import { context, createContextKey, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';

/**
 * What travels with a request through the async calls it makes, in OpenTelemetry's context: the request id (sent on
 * to the model service as `x-request-id`) and the slot of the GraphQL operation span.
 *
 * The slot exists because the operation span starts inside Apollo's pipeline (or the fast path), where no plugin can
 * wrap the execution in a new context; the spans below it (cache, model) start in resolvers that run in the
 * request's context. So the request's context carries a mutable slot, the operation span is put there when it
 * starts, and those spans take it as their parent while it is open.
 */
export interface OperationSlot {
  span: Span | undefined;
  hit: number;
  stale: number;
  miss: number;
  /** Model versions of the lists served, in the order first seen. */
  readonly versions: string[];
}

const REQUEST_ID_KEY = createContextKey('recs-gateway request id');
const OPERATION_SLOT_KEY = createContextKey('recs-gateway operation slot');

export function withRequest(parent: Context, requestId: string): Context {
  const slot: OperationSlot = { span: undefined, hit: 0, stale: 0, miss: 0, versions: [] };
  return parent.setValue(REQUEST_ID_KEY, requestId).setValue(OPERATION_SLOT_KEY, slot);
}

/** The id of the request the current code runs for; undefined outside a request or without a context manager. */
export function currentRequestId(): string | undefined {
  const value = context.active().getValue(REQUEST_ID_KEY);
  return typeof value === 'string' ? value : undefined;
}

export function currentOperationSlot(): OperationSlot | undefined {
  return context.active().getValue(OPERATION_SLOT_KEY) as OperationSlot | undefined;
}

/** The context a span below the operation starts in: the open operation span's when there is one. */
export function parentContext(): Context {
  const active = context.active();
  const slot = active.getValue(OPERATION_SLOT_KEY) as OperationSlot | undefined;
  return slot?.span === undefined ? active : trace.setSpan(active, slot.span);
}
