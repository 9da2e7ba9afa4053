import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config.js';
import type { CacheStore } from './cache/cache-store.js';
import { MemoryStore } from './cache/memory-store.js';
import { RedisStore } from './cache/redis-store.js';
import { createApolloServer } from './graphql/apollo.js';
import type { GatewayContext } from './graphql/context.js';
import { createHttpServer } from './http/server.js';
import { Readiness } from './http/readiness.js';
import { BuiltinModel } from './model/builtin-model.js';
import { createCatalog } from './model/catalog.js';
import type { Catalog } from './model/catalog.js';
import type { Model } from './model/model.js';
import { RecommendationService } from './recs/recommendation-service.js';
import { createRequestLoaders } from './recs/request-loaders.js';
import { PrometheusTelemetry } from './telemetry/metrics.js';

/** Parts a test (or another deployment) may swap; everything else is built from the config. */
export interface AppParts {
  readonly model?: Model;
  readonly store?: CacheStore;
  readonly catalog?: Catalog;
  readonly logger?: PinoLogger;
  readonly telemetry?: PrometheusTelemetry;
}

export interface App {
  readonly config: GatewayConfig;
  readonly http: FastifyInstance;
  readonly store: CacheStore;
  readonly model: Model;
  readonly recommendations: RecommendationService;
  readonly logger: PinoLogger;
  readonly telemetry: PrometheusTelemetry;
  /** Starts listening; resolves with the bound URL of the GraphQL endpoint. */
  listen(): Promise<string>;
  /** Stops accepting, drains in-flight requests, then closes the store and the model. */
  close(): Promise<void>;
}

const SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
// Max users one request may load: DataLoader splits larger batches, which keeps one MGET bounded.
const MAX_BATCH = 100;

/**
 * The one place where the parts are wired together and passed down (http → graphql → recs → cache/model). Nothing
 * below imports from above, so tests build the same app with another store or model.
 */
export async function createApp(config: GatewayConfig, parts: AppParts = {}): Promise<App> {
  const logger = parts.logger ?? pino({ level: config.logLevel });
  const telemetry = parts.telemetry ?? new PrometheusTelemetry({ ttlSeconds: config.cacheTtlSeconds });
  const catalog = parts.catalog ?? createCatalog();
  const model = parts.model ?? new BuiltinModel({ version: config.modelVersion, catalog, listSize: config.listSize });
  const store = parts.store ?? createStore(config, logger);

  const recommendations = new RecommendationService({
    store,
    model,
    keyPrefix: config.keyPrefix,
    ttl: {
      baseTtlMs: config.cacheTtlSeconds * 1000,
      minTtlMs: Math.min(60_000, config.cacheTtlSeconds * 1000),
      maxTtlMs: config.cacheTtlSeconds * 1000,
      jitter: 0.1,
      activityWindowMs: 24 * 3600 * 1000,
    },
    graceMs: config.cacheGraceSeconds * 1000,
    listSize: config.listSize,
    leaseMs: 10_000,
    leaseWaitMs: 2_000,
    earlyRefreshBeta: 1,
    purchaseLimits: { maxRemembered: 50, stateTtlMs: 30 * 24 * 3600 * 1000 },
    telemetry,
    logger,
  });

  const readiness = new Readiness(store);
  const apollo = await createApolloServer({
    schemaPath: SCHEMA_PATH,
    maxFirst: config.listSize,
    production: config.nodeEnv === 'production',
    plugins: [],
  });
  const context = async (): Promise<GatewayContext> => ({
    loaders: createRequestLoaders(recommendations, catalog, MAX_BATCH),
    recommendations,
  });
  await apollo.start();
  const metrics = {
    contentType: telemetry.registry.contentType,
    render: () => telemetry.registry.metrics(),
  };
  const http = await createHttpServer({ apollo, context, readiness, metrics, logger, bodyLimit: 64 * 1024 });

  return {
    config,
    http,
    store,
    model,
    recommendations,
    logger,
    telemetry,
    async listen() {
      const address = await http.listen({ port: config.port, host: config.host });
      readiness.serving();
      return `${address.replace('0.0.0.0', '127.0.0.1')}/graphql`;
    },
    async close() {
      readiness.stopping();
      // Fastify's close stops accepting and waits for in-flight requests before resolving.
      await http.close();
      await apollo.stop();
      await Promise.allSettled([store.close(), model.close()]);
    },
  };
}

function createStore(config: GatewayConfig, logger: PinoLogger): CacheStore {
  if (config.redisClusterUrls.length === 0 && config.redisUrl === undefined) {
    return new MemoryStore(100_000);
  }
  let lastReport = 0;
  return new RedisStore({
    url: config.redisUrl,
    clusterUrls: config.redisClusterUrls,
    timeoutMs: config.redisTimeoutMs,
    onError(error) {
      // A down Redis reports on every reconnect attempt; one line every few seconds is enough to act on.
      const now = Date.now();
      if (now - lastReport < 5_000) return;
      lastReport = now;
      logger.error({ err: error }, 'redis connection error; reads fall back to the model until it returns');
    },
  });
}
