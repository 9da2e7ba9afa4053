import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import type { GatewayConfig } from './config.js';

/** Who may call, in the start-up line's words. */
function accessOf(config: GatewayConfig): string {
  if (config.auth.mode === 'jwt')
    return `bearer tokens required (${config.auth.secret !== undefined ? 'AUTH_JWT_SECRET' : 'AUTH_JWKS_URL'}) on ${config.host}`;
  if (config.allowUnauthenticated) return `OPEN: no authentication, ALLOW_UNAUTHENTICATED=true, on ${config.host}`;
  return `no authentication, loopback only (${config.host})`;
}
import { settleWithin } from './http/shutdown.js';
import { readTracingSettings } from './telemetry/tracing/settings.js';
import { startTracing } from './telemetry/tracing/start-tracing.js';
import type { Tracing } from './telemetry/tracing/start-tracing.js';
import { gatewayVersion } from './telemetry/request-metrics.js';

// After the gateway has closed, how long exporting the last spans may take before the process exits regardless.
const TRACE_FLUSH_MS = 2_000;

/** Entry point of the gateway: validated config, one app, and a clean shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  let tracingSettings;
  try {
    config = loadConfig();
    tracingSettings = readTracingSettings(process.env, 'recs-gateway');
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`recs-gateway: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Off (no OTEL_* set): the SDK is never loaded.
  const tracing: Tracing | undefined =
    tracingSettings === undefined
      ? undefined
      : await startTracing(tracingSettings, { serviceVersion: gatewayVersion() });
  let app;
  try {
    app = await createApp(config, { tracer: tracing?.tracer });
  } catch (error) {
    // Some settings can only be judged against what they point at (Redis's eviction policy): the same exit.
    if (error instanceof ConfigError) {
      process.stderr.write(`recs-gateway: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const url = await app.listen();
  app.logger.info(
    {
      url,
      store: app.store.kind,
      modelVersion: app.model.currentVersion(),
      ttlSeconds: config.cacheTtlSeconds,
      // Said on the line operators read first: which mode (and whether NODE_ENV was set at all) and who may call.
      nodeEnv:
        process.env.NODE_ENV === undefined || process.env.NODE_ENV === ''
          ? `${config.nodeEnv} (NODE_ENV unset)`
          : config.nodeEnv,
      access: accessOf(config),
      tracing: tracingSettings === undefined ? 'off' : `${tracingSettings.exporter} ${tracingSettings.protocol}`,
    },
    'recs-gateway listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: draining in-flight requests');
    app
      .close()
      .then(async () => {
        if (tracing !== undefined) await settleWithin([tracing.shutdown()], TRACE_FLUSH_MS);
      })
      .then(
        () => process.exit(0),
        (error: unknown) => {
          app.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
