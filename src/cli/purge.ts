import { parseArgs } from 'node:util';
import { versionScanPatterns } from '../cache/key-scheme.js';
import { RedisStore } from '../cache/redis-store.js';
import { ConfigError, loadConfig } from '../config.js';

/**
 * `npm run purge -- --version v1`: deletes every cached list of one model version (and its leases) from the
 * configured Redis or Redis Cluster, in SCAN batches with UNLINK. Never KEYS (blocks Redis) and never FLUSHDB (other
 * versions and other applications share the database); user state (generations, purchases) is kept.
 */
const USAGE =
  'usage: npm run purge -- --version <modelVersion> [--batch <keysPerScan>]\n' +
  '  connection and key prefix come from REDIS_URL / REDIS_CLUSTER_URLS / CACHE_KEY_PREFIX';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { version: { type: 'string' }, batch: { type: 'string', default: '500' }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig({ ...process.env, MODEL_VERSION: values.version ?? '' });
  const batch = Number(values.batch);
  if (values.version === undefined || !Number.isInteger(batch) || batch < 1 || batch > 100_000) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (config.redisUrl === undefined && config.redisClusterUrls.length === 0) {
    process.stderr.write(
      'purge needs REDIS_URL or REDIS_CLUSTER_URLS: the in-memory cache lives and dies with its gateway process\n',
    );
    return 2;
  }
  const store = new RedisStore({
    url: config.redisUrl,
    clusterUrls: config.redisClusterUrls,
    timeoutMs: Math.max(config.redisTimeoutMs, 5_000),
    onError: () => {},
  });
  try {
    const removed = await store.purgeVersion(versionScanPatterns(config.keyPrefix, config.modelVersion), batch);
    process.stdout.write(`${JSON.stringify({ version: config.modelVersion, removed })}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`purge failed: ${message}\n`);
    process.exit(1);
  },
);
