import { ConfigError } from '../../config.js';

/**
 * Whether and how to export traces, read from the OpenTelemetry SDK's standard variables so an operator configures
 * the gateway like any other OpenTelemetry service. Tracing is off unless asked for: an exporter named in
 * `OTEL_TRACES_EXPORTER` (`otlp`, or `console` for a local look), or an OTLP endpoint set. `OTEL_SDK_DISABLED=true`
 * and `OTEL_TRACES_EXPORTER=none` win over everything.
 *
 * The exporter itself reads the rest of the standard set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `..._TRACES_ENDPOINT`,
 * `..._HEADERS`, `..._TIMEOUT`), and the provider reads `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`.
 */
export interface TracingSettings {
  readonly exporter: 'otlp' | 'console';
  /** OTLP over HTTP: `http/protobuf` (the specification's default) or `http/json`. gRPC is not bundled. */
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly serviceName: string;
}

/** The OTEL_* variables this reader looks at (the exporter and sampler read a few more themselves). */
export const TRACING_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_SERVICE_NAME',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Undefined when tracing is off (the default): then no SDK is loaded at all. */
export function readTracingSettings(env: Env, defaultServiceName: string): TracingSettings | undefined {
  if (present(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return undefined;
  const exporters = (present(env.OTEL_TRACES_EXPORTER) ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  if (exporters.includes('none')) return undefined;
  const endpoint = present(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? present(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  let exporter: TracingSettings['exporter'];
  if (exporters.length === 0) {
    if (endpoint === undefined) return undefined;
    exporter = 'otlp';
  } else {
    const unknown = exporters.filter((name) => name !== 'otlp' && name !== 'console');
    if (unknown.length > 0 || exporters.length > 1) {
      throw new ConfigError(
        `OTEL_TRACES_EXPORTER must be one of otlp, console, none, but got: ${JSON.stringify(env.OTEL_TRACES_EXPORTER)}`,
      );
    }
    exporter = exporters[0] === 'console' ? 'console' : 'otlp';
  }
  const protocol =
    present(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? present(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (gRPC is not bundled; use a collector's HTTP port, 4318), but got: ${JSON.stringify(protocol)}`,
    );
  }
  return { exporter, protocol, serviceName: present(env.OTEL_SERVICE_NAME) ?? defaultServiceName };
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
