import type { Logger, Telemetry } from '../telemetry/events.js';
import { BuiltinModel } from './builtin-model.js';
import { createScoringPool } from './scoring-pool.js';
import type { Catalog } from './catalog.js';
import { HttpModel } from './http-model.js';
import type { Model } from './model.js';

/** What `createModel` reads: which model, and how to run it. */
export interface ModelOptions {
  /** The remote ranking service (MODEL_URL); undefined for the built-in model. */
  readonly url: string | undefined;
  /** The built-in model's version, and the remote model's until it has told its own. */
  readonly version: string;
  /** Built-in model: items per ranked list. */
  readonly listSize: number;
  /** Built-in model: scoring worker threads; 0 scores on the event loop. */
  readonly workers: number;
  /** Built-in model: whether its rankings drift over time (a stand-in for a model that learns). */
  readonly drift: boolean;
  /** Remote model: the budget of one call. */
  readonly timeoutMs: number;
  /** Remote model: the most users in one call. */
  readonly maxBatch: number;
  /** Remote model: how often its version is asked for; 0 never after start. */
  readonly versionPollMs: number;
}

/**
 * The model the options ask for: the remote ranking service when MODEL_URL is set, else the built-in model.
 * A remote model has told its version (or given up after one call's budget) by the time this resolves, so the
 * gateway's first reads already go to the right namespace.
 */
export async function createModel(
  options: ModelOptions,
  parts: {
    readonly catalog: Catalog;
    readonly logger: Logger;
    readonly telemetry?: Pick<Telemetry, 'breakerState'>;
    /** For a remote model: the request loading these users, sent on as `x-request-id`. */
    readonly requestIdOf?: (userIds: readonly string[]) => string | undefined;
  },
): Promise<Model> {
  if (options.url === undefined) {
    // MODEL_WORKERS > 0 (default: one per core): scoring runs in worker threads, off the event loop that serves hits.
    const ranker = options.workers > 0 ? createScoringPool({ threads: options.workers }) : undefined;
    const drift = options.drift ? { clock: Date.now } : undefined;
    const builtin = new BuiltinModel({
      version: options.version,
      catalog: parts.catalog,
      listSize: options.listSize,
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
    url: options.url,
    timeoutMs: options.timeoutMs,
    maxBatch: options.maxBatch,
    versionPollMs: options.versionPollMs,
    initialVersion: options.version,
    logger: parts.logger,
    telemetry: parts.telemetry,
    requestIdOf: parts.requestIdOf,
  });
  await model.init();
  return model;
}
