import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { TracingSettings } from './settings.js';

export interface Tracing {
  readonly tracer: Tracer;
  /** Exports the spans still buffered and stops the provider; call once, at shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK: a Node tracer provider (async-context propagation, W3C `traceparent` and baggage
 * propagators, the sampler from OTEL_TRACES_SAMPLER) exporting in batches over OTLP/HTTP. The SDK is imported here,
 * on demand, so a process with tracing off never loads it.
 */
export async function startTracing(
  settings: TracingSettings,
  resource: { readonly serviceVersion: string },
): Promise<Tracing> {
  const [{ NodeTracerProvider, BatchSpanProcessor, ConsoleSpanExporter }, { resourceFromAttributes }] =
    await Promise.all([import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/resources')]);
  const exporter = await createExporter(settings, () => new ConsoleSpanExporter());
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.serviceName,
      'service.version': resource.serviceVersion,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return {
    tracer: provider.getTracer(settings.serviceName, resource.serviceVersion),
    shutdown: () => provider.shutdown(),
  };
}

async function createExporter(settings: TracingSettings, consoleExporter: () => SpanExporter): Promise<SpanExporter> {
  if (settings.exporter === 'console') return consoleExporter();
  // Both read the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}
