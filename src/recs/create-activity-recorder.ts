import type { GatewayConfig } from '../config.js';
import { RedisActiveUsers } from '../cache/redis-active-users.js';
import type { Logger } from '../telemetry/events.js';
import { ActivityRecorder, MemoryActiveUsers } from './active-users.js';
import type { ActiveUsersLog } from './active-users.js';

/** The recorder the read path touches, over the log that matches the store: Redis when configured, else memory. */
export function createActivityRecorder(
  config: GatewayConfig,
  logger: Logger,
): { readonly recorder: ActivityRecorder; close(): Promise<void> } {
  const log: ActiveUsersLog =
    config.redisUrl === undefined && config.redisClusterUrls.length === 0
      ? new MemoryActiveUsers()
      : new RedisActiveUsers({
          url: config.redisUrl,
          clusterUrls: config.redisClusterUrls,
          keyPrefix: config.keyPrefix,
          timeoutMs: config.redisTimeoutMs,
          // The cache store already reports connection errors for the same Redis.
          onError: () => {},
        });
  const recorder = new ActivityRecorder({ log, logger });
  return {
    recorder,
    async close() {
      await recorder.close();
      await log.close();
    },
  };
}
