import { ConfigError } from './config.js';
import { BuiltinModel } from './model/builtin-model.js';
import { createModelServer } from './model/server/model-server.js';
import { loadModelServerConfig } from './model/server/server-config.js';
import { settleWithin } from './http/shutdown.js';
import { gatewayVersion } from './telemetry/request-metrics.js';
import { readTracingSettings } from './telemetry/tracing/settings.js';
import { startTracing } from './telemetry/tracing/start-tracing.js';

/**
 * `npm run model-server`: the reference ranking service, serving the built-in model over the model-service protocol
 * (`src/model/protocol.ts`). Honours PORT (4100), HOST (127.0.0.1), MODEL_VERSION (v1), MODEL_LATENCY_MS (0), MODEL_DRIFT (on).
 */
async function main(): Promise<void> {
  let config;
  let tracingSettings;
  try {
    config = loadModelServerConfig();
    // The standard OTEL_* variables, as for the gateway; its spans continue the gateway's traces.
    tracingSettings = readTracingSettings(process.env, 'recs-model-server');
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`model-server: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // The same drift as the gateway's built-in model: same version, user and clock, same ranking.
  const model = new BuiltinModel({
    version: config.modelVersion,
    drift: config.drift ? { clock: Date.now } : undefined,
  });
  const tracing =
    tracingSettings === undefined
      ? undefined
      : await startTracing(tracingSettings, { serviceVersion: gatewayVersion() });
  const server = await createModelServer({
    model,
    latencyMs: config.latencyMs,
    logLevel: config.logLevel,
    tracer: tracing?.tracer,
  });
  const address = await server.listen({ port: config.port, host: config.host });
  process.stdout.write(
    `${JSON.stringify({ msg: 'model-server listening', address, modelVersion: config.modelVersion, latencyMs: config.latencyMs })}\n`,
  );

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server
      .close()
      .then(async () => {
        if (tracing !== undefined) await settleWithin([tracing.shutdown()], 2_000);
      })
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
