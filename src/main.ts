import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import type { GatewayConfig } from './config.js';

/** Who may call, in the start-up line's words. */
function accessOf(config: GatewayConfig): string {
  if (config.auth.mode === 'jwt') return `bearer tokens required (${config.auth.secret !== undefined ? 'AUTH_JWT_SECRET' : 'AUTH_JWKS_URL'}) on ${config.host}`;
  if (config.allowUnauthenticated) return `OPEN: no authentication, ALLOW_UNAUTHENTICATED=true, on ${config.host}`;
  return `no authentication, loopback only (${config.host})`;
}

/** Entry point of the gateway: validated config, one app, and a clean shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`recs-gateway: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let app;
  try {
    app = await createApp(config);
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
      nodeEnv: process.env.NODE_ENV === undefined || process.env.NODE_ENV === '' ? `${config.nodeEnv} (NODE_ENV unset)` : config.nodeEnv,
      access: accessOf(config),
    },
    'recs-gateway listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: draining in-flight requests');
    app.close().then(
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
