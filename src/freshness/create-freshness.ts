import { defaultTtlPolicy } from '../cache/ttl-policy.js';
import type { DriftTtlPolicy } from '../cache/ttl-policy.js';
import type { GatewayConfig } from '../config.js';
import type { Model } from '../model/model.js';
import type { Logger } from '../telemetry/events.js';
import { DriftTracker } from './drift-tracker.js';
import type { DriftTelemetry } from './drift-tracker.js';
import type { FreshnessHooks } from './hooks.js';
import { FreshnessInspector } from './inspector.js';
import type { InspectorTelemetry } from './inspector.js';

/** The drift-tuned policy the config asks for: today's policy for the base TTL, plus target and clamp bounds. */
export function driftTtlPolicy(config: GatewayConfig): DriftTtlPolicy {
  return {
    ...defaultTtlPolicy(config.cacheTtlSeconds),
    targetDivergence: config.freshness.target,
    minDriftTtlMs: config.freshness.minTtlSeconds * 1000,
    maxDriftTtlMs: config.freshness.maxTtlSeconds * 1000,
    ...(config.freshness.staleLimit === undefined ? {} : { staleLimit: config.freshness.staleLimit }),
  };
}

/** The freshness parts of one gateway: the hooks the recommendation service calls, and how to stop them. */
export function createFreshness(
  config: GatewayConfig,
  parts: { readonly model: Model; readonly telemetry: DriftTelemetry & InspectorTelemetry; readonly logger: Logger },
): { readonly hooks: FreshnessHooks; readonly inspector: FreshnessInspector | undefined; close(): Promise<void> } {
  const drift = new DriftTracker({
    policy: driftTtlPolicy(config),
    tuning: config.freshness.ttlTuning,
    graceMs: config.cacheGraceSeconds * 1000,
    telemetry: parts.telemetry,
  });
  const inspector =
    config.freshness.inspectorPerSecond > 0
      ? new FreshnessInspector({
          model: parts.model,
          perSecond: config.freshness.inspectorPerSecond,
          target: config.freshness.target,
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
