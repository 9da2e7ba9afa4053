import { defaultTtlPolicy } from '../cache/ttl-policy.js';
import type { DriftTtlPolicy } from '../cache/ttl-policy.js';
import type { FreshnessConfig } from '../config.js';
import type { Model } from '../model/model.js';
import type { Logger } from '../telemetry/events.js';
import { DriftTracker } from './drift-tracker.js';
import type { DriftTelemetry } from './drift-tracker.js';
import type { FreshnessHooks } from './hooks.js';
import { FreshnessInspector } from './inspector.js';
import type { InspectorTelemetry } from './inspector.js';

/** What the freshness parts read: the cache's TTL and grace, and the freshness block of the config. */
export interface FreshnessOptions {
  readonly ttlSeconds: number;
  readonly graceSeconds: number;
  readonly freshness: FreshnessConfig;
}

/** The drift-tuned policy the options ask for: today's policy for the base TTL, plus target and clamp bounds. */
export function driftTtlPolicy(options: Pick<FreshnessOptions, 'ttlSeconds' | 'freshness'>): DriftTtlPolicy {
  const { freshness } = options;
  return {
    ...defaultTtlPolicy(options.ttlSeconds),
    targetDivergence: freshness.target,
    minDriftTtlMs: freshness.minTtlSeconds * 1000,
    maxDriftTtlMs: freshness.maxTtlSeconds * 1000,
    ...(freshness.staleLimit === undefined ? {} : { staleLimit: freshness.staleLimit }),
  };
}

/** The freshness parts of one gateway: the hooks the recommendation service calls, and how to stop them. */
export function createFreshness(
  options: FreshnessOptions,
  parts: { readonly model: Model; readonly telemetry: DriftTelemetry & InspectorTelemetry; readonly logger: Logger },
): { readonly hooks: FreshnessHooks; readonly inspector: FreshnessInspector | undefined; close(): Promise<void> } {
  const drift = new DriftTracker({
    policy: driftTtlPolicy(options),
    tuning: options.freshness.ttlTuning,
    graceMs: options.graceSeconds * 1000,
    telemetry: parts.telemetry,
  });
  const inspector =
    options.freshness.inspectorPerSecond > 0
      ? new FreshnessInspector({
          model: parts.model,
          perSecond: options.freshness.inspectorPerSecond,
          target: options.freshness.target,
          telemetry: parts.telemetry,
          logger: parts.logger,
        })
      : undefined;
  return {
    hooks: { drift, sampler: inspector },
    inspector,
    close: async () => inspector?.close(),
  };
}
