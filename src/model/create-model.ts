import type { GatewayConfig } from '../config.js';
import type { Logger } from '../telemetry/events.js';
import { BuiltinModel } from './builtin-model.js';
import type { Catalog } from './catalog.js';
import { HttpModel } from './http-model.js';
import type { Model } from './model.js';

/**
 * The model the config asks for: the remote ranking service when MODEL_URL is set, else the built-in model.
 * A remote model has told its version (or given up after one call's budget) by the time this resolves, so the
 * gateway's first reads already go to the right namespace.
 */
export async function createModel(config: GatewayConfig, parts: { readonly catalog: Catalog; readonly logger: Logger }): Promise<Model> {
  if (config.modelUrl === undefined) {
    return new BuiltinModel({ version: config.modelVersion, catalog: parts.catalog, listSize: config.listSize });
  }
  const model = new HttpModel({
    url: config.modelUrl,
    timeoutMs: config.modelTimeoutMs,
    maxBatch: config.modelMaxBatch,
    versionPollMs: config.modelVersionPollSeconds * 1000,
    initialVersion: config.modelVersion,
    logger: parts.logger,
  });
  await model.init();
  return model;
}
