import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { readTracingSettings } from '../../src/telemetry/tracing/settings.js';

describe('readTracingSettings (the standard OTEL_* variables)', () => {
  it('is off unless an exporter or an endpoint is configured', () => {
    expect(readTracingSettings({}, 'svc')).toBeUndefined();
    expect(readTracingSettings({ OTEL_SERVICE_NAME: 'x' }, 'svc')).toBeUndefined();
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, 'svc')).toBeUndefined();
  });

  it('turns on with an endpoint (http/protobuf by default) or a named exporter', () => {
    expect(readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'svc')).toEqual({
      exporter: 'otlp',
      protocol: 'http/protobuf',
      serviceName: 'svc',
    });
    expect(
      readTracingSettings(
        {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'gw-eu',
        },
        'svc',
      ),
    ).toEqual({ exporter: 'otlp', protocol: 'http/json', serviceName: 'gw-eu' });
    expect(readTracingSettings({ OTEL_TRACES_EXPORTER: 'console' }, 'svc')?.exporter).toBe('console');
    // The traces-specific protocol wins over the general one.
    expect(
      readTracingSettings(
        {
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        },
        'svc',
      )?.protocol,
    ).toBe('http/json');
  });

  it('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none win', () => {
    expect(
      readTracingSettings({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'svc'),
    ).toBeUndefined();
    expect(
      readTracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'svc'),
    ).toBeUndefined();
  });

  it('refuses what it cannot do, naming the variable', () => {
    expect(() => readTracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'svc')).toThrow(ConfigError);
    expect(() => readTracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'svc')).toThrow(
      /OTEL_TRACES_EXPORTER must be one of otlp, console, none/,
    );
    expect(() =>
      readTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'svc'),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL must be http\/protobuf or http\/json/);
  });
});
