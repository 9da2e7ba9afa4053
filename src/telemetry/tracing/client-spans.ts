import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { currentRequestId } from './request-context.js';

// The global tracer: the SDK's once tracing has started, a no-op one otherwise (no SDK is loaded then).
const tracer = trace.getTracer('recs-gateway');

/**
 * One CLIENT span around an outgoing HTTP request, with the headers that carry the trace (`traceparent`, from the
 * registered W3C propagator) and the request id on to the service called. With tracing off the span records nothing
 * and the propagator is a no-op; the request id still goes out whenever a request context is kept.
 */
export async function withClientSpan<T>(
  name: string,
  attributes: Attributes,
  headers: Record<string, string>,
  requestIdHeader: string,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const requestId = currentRequestId();
  if (requestId !== undefined) headers[requestIdHeader] = requestId;
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
  const spanContext = trace.setSpan(context.active(), span);
  propagation.inject(spanContext, headers);
  try {
    return await context.with(spanContext, () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
