import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';

// The global tracer: the SDK's once tracing has started, a no-op one otherwise (no SDK is loaded then).
const tracer = trace.getTracer('recs-gateway');

/**
 * One CLIENT span around an outgoing HTTP request, with the header that carries the trace (`traceparent`, from the
 * registered W3C propagator) added to `headers`. With tracing off the span records nothing and the propagator is a
 * no-op.
 */
export async function withClientSpan<T>(
  name: string,
  attributes: Attributes,
  headers: Record<string, string>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
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
