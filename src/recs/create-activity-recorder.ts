import { RedisActiveUsers } from '../cache/redis-active-users.js';
import type { Logger } from '../telemetry/events.js';
import { ActivityRecorder, MemoryActiveUsers } from './active-users.js';
import type { ActiveUsersLog } from './active-users.js';

/** Where the log of active users lives: the cache store's Redis, or (no Redis configured) this process. */
export interface ActivityRecorderOptions {
  readonly redisUrl: string | undefined;
  /** Redis Cluster seed nodes; when non-empty, used instead of `redisUrl`. */
  readonly redisClusterUrls: readonly string[];
  readonly keyPrefix: string;
  readonly redisTimeoutMs: number;
}

/** The recorder the read path touches, over the log that matches the store: Redis when configured, else memory. */
export function createActivityRecorder(
  options: ActivityRecorderOptions,
  logger: Logger,
): { readonly recorder: ActivityRecorder; close(): Promise<void> } {
  const log: ActiveUsersLog =
    options.redisUrl === undefined && options.redisClusterUrls.length === 0
      ? new MemoryActiveUsers()
      : new RedisActiveUsers({
          url: options.redisUrl,
          clusterUrls: options.redisClusterUrls,
          keyPrefix: options.keyPrefix,
          timeoutMs: options.redisTimeoutMs,
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
