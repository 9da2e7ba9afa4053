import { parseArgs } from 'node:util';
import { RedisActiveUsers } from '../cache/redis-active-users.js';
import { RedisStore } from '../cache/redis-store.js';
import { ConfigError, loadConfig } from '../config.js';
import { defaultTtlPolicy } from '../cache/ttl-policy.js';
import { HttpModel } from '../model/http-model.js';
import { warmUp } from '../recs/warm-up.js';
import type { WarmUpProgress } from '../recs/warm-up.js';

/**
 * `npm run warm-up -- --model-url http://new-model:4100 --users 1000 --rate 500`: before switching the gateways to a
 * new model version, precompute its lists for the most recently active users (see `recs/warm-up.ts`). Point
 * --model-url at the NEW model server, running beside the live one; the version warmed is the one it reports. Then
 * switch (route MODEL_URL's service to the new model); gateways pick the version up within
 * MODEL_VERSION_POLL_SECONDS and find its namespace warm. Progress goes to stderr, the summary to stdout as JSON.
 */
const USAGE =
  'usage: npm run warm-up -- --model-url <new model server URL> [--users 1000] [--rate 500] [--batch <MODEL_MAX_BATCH>]\n' +
  '  store, key prefix and TTLs come from REDIS_URL / REDIS_CLUSTER_URLS / CACHE_KEY_PREFIX / CACHE_TTL_SECONDS / CACHE_GRACE_SECONDS';

const PROGRESS_EVERY_MS = 1_000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'model-url': { type: 'string' },
      users: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '500' },
      batch: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig({ ...process.env, MODEL_URL: values['model-url'] ?? '' });
  const users = wholeNumber(values.users, 1, 1_000_000);
  const rate = wholeNumber(values.rate, 1, 1_000_000);
  const batch = wholeNumber(values.batch ?? String(config.modelMaxBatch), 1, 10_000);
  if (config.modelUrl === undefined || users === undefined || rate === undefined || batch === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (config.redisUrl === undefined && config.redisClusterUrls.length === 0) {
    process.stderr.write(
      'warm-up needs REDIS_URL or REDIS_CLUSTER_URLS: an in-memory cache cannot be warmed from outside its gateway\n',
    );
    return 2;
  }

  const model = new HttpModel({
    url: config.modelUrl,
    timeoutMs: config.modelTimeoutMs,
    maxBatch: batch,
    versionPollMs: 0,
    initialVersion: config.modelVersion,
  });
  const redis = {
    url: config.redisUrl,
    clusterUrls: config.redisClusterUrls,
    timeoutMs: Math.max(config.redisTimeoutMs, 5_000),
    onError: () => {},
  };
  const store = new RedisStore(redis);
  const activeUsers = new RedisActiveUsers({ ...redis, keyPrefix: config.keyPrefix });
  try {
    if (!(await model.init())) {
      process.stderr.write(`warm-up: the model server at ${config.modelUrl} did not answer GET /v1/version\n`);
      return 1;
    }
    process.stderr.write(
      `${JSON.stringify({ msg: 'warming', version: model.currentVersion(), users, rate, batch })}\n`,
    );
    let lastReport = 0;
    const report = await warmUp({
      store,
      activeUsers,
      model,
      keyPrefix: config.keyPrefix,
      users,
      ratePerSecond: rate,
      batchSize: batch,
      ttl: defaultTtlPolicy(config.cacheTtlSeconds),
      graceMs: config.cacheGraceSeconds * 1000,
      listSize: config.listSize,
      onProgress(progress: WarmUpProgress) {
        if (Date.now() - lastReport < PROGRESS_EVERY_MS && progress.done < progress.total) return;
        lastReport = Date.now();
        process.stderr.write(`${JSON.stringify({ msg: 'progress', ...progress })}\n`);
      },
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.failed > 0 ? 1 : 0;
  } finally {
    await Promise.allSettled([model.close(), store.close(), activeUsers.close()]);
  }
}

function wholeNumber(raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`warm-up failed: ${message}\n`);
    process.exit(1);
  },
);
