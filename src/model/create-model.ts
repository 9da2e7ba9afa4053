import type { GatewayConfig } from '../config.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import { BuiltinModel } from './builtin-model.js';
import { createScoringPool } from './scoring-pool.js';
import type { Catalog } from './catalog.js';
import { HttpModel } from './http-model.js';
import type { Model } from './model.js';

/**
 * The model the config asks for: the remote ranking service when MODEL_URL is set, else the built-in model.
 * A remote model has told its version (or given up after one call's budget) by the time this resolves, so the
 * gateway's first reads already go to the right namespace.
 */
export async function createModel(
  config: GatewayConfig,
  parts: {
    readonly catalog: Catalog;
    readonly logger: Logger;
    readonly telemetry?: Pick<Telemetry, 'breakerState'>;
    /** For a remote model: the request loading these users, sent on as `x-request-id`. */
    readonly requestIdOf?: (userIds: readonly string[]) => string | undefined;
  },
): Promise<Model> {
  if (config.modelUrl === undefined) {
    // MODEL_WORKERS > 0 (default: one per core): scoring runs in worker threads, off the event loop that serves hits.
    const ranker = config.modelWorkers > 0 ? createScoringPool({ threads: config.modelWorkers }) : undefined;
    const drift = config.modelDrift ? { clock: Date.now } : undefined;
    const builtin = new BuiltinModel({
      version: config.modelVersion,
      catalog: parts.catalog,
      listSize: config.listSize,
      ranker,
      drift,
    });
    // Workers load before the gateway serves, so the first miss does not wait for a thread to start.
    try {
      await builtin.ready();
    } catch (error) {
      await builtin.close();
      throw error;
    }
    return builtin;
  }
  const model = new HttpModel({
    url: config.modelUrl,
    timeoutMs: config.modelTimeoutMs,
    maxBatch: config.modelMaxBatch,
    versionPollMs: config.modelVersionPollSeconds * 1000,
    initialVersion: config.modelVersion,
    logger: parts.logger,
    telemetry: parts.telemetry,
    requestIdOf: parts.requestIdOf,
  });
  await model.init();
  return model;
}
