import type { GatewayConfig } from '../config.js';
import type { FreshnessOptions } from '../freshness/create-freshness.js';
import type { ModelOptions } from '../model/create-model.js';
import type { ActivityRecorderOptions } from '../recs/create-activity-recorder.js';

// Each part is given the few settings it reads, not the whole config: what a part depends on is then in its own
// signature, and a test or a tool can build one without inventing every other setting.

export function modelOptions(config: GatewayConfig): ModelOptions {
  return {
    url: config.modelUrl,
    version: config.modelVersion,
    listSize: config.listSize,
    workers: config.modelWorkers,
    drift: config.modelDrift,
    timeoutMs: config.modelTimeoutMs,
    maxBatch: config.modelMaxBatch,
    versionPollMs: config.modelVersionPollSeconds * 1000,
  };
}

export function activityRecorderOptions(config: GatewayConfig): ActivityRecorderOptions {
  return {
    redisUrl: config.redisUrl,
    redisClusterUrls: config.redisClusterUrls,
    keyPrefix: config.keyPrefix,
    redisTimeoutMs: config.redisTimeoutMs,
  };
}

export function freshnessOptions(config: GatewayConfig): FreshnessOptions {
  return { ttlSeconds: config.cacheTtlSeconds, graceSeconds: config.cacheGraceSeconds, freshness: config.freshness };
}
