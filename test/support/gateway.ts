import { createApp } from '../../src/app.js';
import type { App, AppParts } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

import { startGatewayProcess as startProcess } from '../../src/dev/gateway-process.js';
import type { GatewayProcess } from '../../src/dev/gateway-process.js';

export { postGraphQL } from '../../src/dev/gateway-process.js';
export type { GatewayProcess, GraphQLBody } from '../../src/dev/gateway-process.js';

/**
 * Test gateways answer the same list for the same user whenever asked, and only requests reach the model, also when a
 * test runs them with NODE_ENV=production: the built-in model does not drift with the wall clock and the freshness
 * inspector makes no shadow calls. A test about either turns it on in its own `env`.
 */
const DETERMINISTIC = { MODEL_DRIFT: 'false', FRESHNESS_INSPECTOR_PER_SECOND: '0' } as const;

export interface InProcessGateway {
  readonly app: App;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:43121/graphql */
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Starts a real gateway (real HTTP server on a free port) inside the test process. `env` is read as the
 * environment would be, so tests exercise the same config validation as production.
 */
export async function startGateway(env: Record<string, string> = {}, parts: AppParts = {}): Promise<InProcessGateway> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    ...DETERMINISTIC,
    ...env,
  });
  const app = await createApp(config, parts);
  const url = await app.listen();
  return { app, url, origin: new URL(url).origin, close: () => app.close() };
}

/** The gateway's `recs_graphql_fast_path_total`, by outcome (served, handed_over, passed); absent ones are 0. */
export async function fastPathOutcomes(
  gateway: InProcessGateway,
): Promise<Record<'served' | 'handed_over' | 'passed', number>> {
  const metric = await gateway.app.telemetry.registry.getSingleMetric('recs_graphql_fast_path_total')?.get();
  const counts = { served: 0, handed_over: 0, passed: 0 };
  for (const value of metric?.values ?? []) {
    const outcome = value.labels.outcome;
    if (outcome === 'served' || outcome === 'handed_over' || outcome === 'passed') counts[outcome] = value.value;
  }
  return counts;
}

/** Starts the gateway as its own process (`src/dev/gateway-process.ts`), with drift and the inspector off like in-process gateways. */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  return startProcess({ ...DETERMINISTIC, ...env });
}
