import { fileURLToPath } from 'node:url';
import type { Logger as PinoLogger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config.js';
import type { CacheStore } from './cache/cache-store.js';
import { MemoryStore } from './cache/memory-store.js';
import { GuardedStore } from './cache/guarded-store.js';
import { RedisStore } from './cache/redis-store.js';
import { createApolloServer } from './graphql/apollo.js';
import type { GatewayContext } from './graphql/context.js';
import type { FastifyRequest } from 'fastify';
import { createAuthenticator } from './auth/authenticator.js';
import { versionScanPatterns } from './cache/key-scheme.js';
import { ClientLimits } from './limits/client-limits.js';
import { PurchaseService } from './purchases/purchase-service.js';
import { PurchaseOutbox } from './purchases/purchase-outbox.js';
import { defaultTtlPolicy } from './cache/ttl-policy.js';
import { PersistedQueryCache } from './graphql/persisted-query-cache.js';
import { cacheSignalsPlugin } from './graphql/plugins/cache-signals/index.js';
import { operationMetricsPlugin } from './graphql/plugins/operation-metrics/index.js';
import { jsonStatusPlugin } from './graphql/plugins/json-status/index.js';
import { internalErrorsPlugin } from './graphql/plugins/internal-errors/index.js';
import { createMediaTypeChooser } from './graphql/plugins/response-media-type/index.js';
import { createFastPath } from './graphql/fast-path.js';
import { KnownOperations } from './graphql/known-operations.js';
import { createHttpServer } from './http/server.js';
import { Readiness } from './http/readiness.js';
import { drainAndClose, settleWithin } from './http/shutdown.js';
import { createModel } from './model/create-model.js';
import { createCatalog } from './model/catalog.js';
import type { Catalog } from './model/catalog.js';
import type { Model } from './model/model.js';
import { RecommendationService } from './recs/recommendation-service.js';
import { createRequestLoaders } from './recs/request-loaders.js';
import { createActivityRecorder } from './recs/create-activity-recorder.js';
import { createLogger } from './telemetry/logger.js';
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

// Checkout retries arrive within minutes; a week covers delayed replays from queues as well.
const ORDER_RETENTION_MS = 7 * 24 * 3600 * 1000;
const SCHEMA_PATH = fileURLToPath(new URL('../schema.graphql', import.meta.url));
// Max users one request may load: DataLoader splits larger batches, which keeps one MGET bounded.
const MAX_BATCH = 100;
// Under Kubernetes' default probe timeout (1 s), so a slow dependency reads as down rather than as a failed probe.
const READINESS_TIMEOUT_MS = 800;
// After the drain, how long closing the store and the model may take before the process exits regardless.
const DEPENDENCY_CLOSE_MS = 2_000;
// This cache's name in `Cache-Status` (RFC 9211).
const CACHE_NAME = 'recs-gateway';

/**
 * The one place where the parts are wired together and passed down (http → graphql → recs → cache/model). Nothing
 * below imports from above, so tests build the same app with another store or model.
 */
export async function createApp(config: GatewayConfig, parts: AppParts = {}): Promise<App> {
  const logger = parts.logger ?? createLogger(config.logLevel);
  const telemetry =
    parts.telemetry ?? new PrometheusTelemetry({ ttlSeconds: config.cacheTtlSeconds, graceSeconds: config.cacheGraceSeconds });
  const catalog = parts.catalog ?? createCatalog();
  // MODEL_URL set: a remote ranking service, whose version is learned (bounded wait) before the first read.
  const model = parts.model ?? (await createModel(config, { catalog, logger, telemetry }));
  // Purchases the store could not take yet, retried until it does; the read path never serves their users from cache.
  const outbox: PurchaseOutbox = new PurchaseOutbox({ apply: async (order): Promise<unknown> => purchases.apply(order), maxSize: config.purchaseOutboxSize, logger });
  telemetry.watchPurchaseOutbox(() => outbox.size);
  let onStoreReady = (): void => {};
  const rawStore = parts.store ?? createStore(config, logger, () => onStoreReady());
  // A store that can fail gets a circuit breaker: a sick Redis is remembered, not waited out on every read.
  const guarded =
    rawStore.kind === 'memory'
      ? undefined
      : new GuardedStore(rawStore, {
          failureThreshold: config.storeBreakerFailures,
          coolDownMs: config.storeBreakerCoolDownMs,
          onChange: (state) =>
            state === 'open'
              ? logger.error('store circuit breaker open: reads answer from the model without touching Redis; purchases are held')
              : logger.info('store circuit breaker closed: Redis answers again'),
        });
  const store = guarded ?? rawStore;
  if (guarded !== undefined) {
    telemetry.watchStoreBreaker(() => guarded.breakerState);
    // Redis reconnected: probe at once with the held purchases, so they land within a reconnect of Redis answering.
    onStoreReady = () => {
      guarded.storeReady();
      void outbox.drain();
    };
  }
  // Recently active users, for the cutover warm-up (`npm run warm-up`); cheap on the read path by design.
  const activity = createActivityRecorder(config, logger);

  const recommendations = new RecommendationService({
    store,
    model,
    keyPrefix: config.keyPrefix,
    ttl: defaultTtlPolicy(config.cacheTtlSeconds),
    graceMs: config.cacheGraceSeconds * 1000,
    listSize: config.listSize,
    leaseMs: 10_000,
    leaseWaitMs: 2_000,
    earlyRefreshBeta: 1,
    purchaseLimits: { maxRemembered: 50, stateTtlMs: 30 * 24 * 3600 * 1000 },
    // One bound for all store calls of a request; a memory store never waits.
    storeBudgetMs: guarded === undefined ? undefined : config.redisTimeoutMs,
    maxUnchargedComputes: config.unchargedComputeLimit,
    pendingPurchases: outbox,
    telemetry,
    logger,
    activity: activity.recorder,
  });

  const readiness = new Readiness({
    store,
    model,
    timeoutMs: READINESS_TIMEOUT_MS,
    storeBreaker: guarded === undefined ? undefined : () => guarded.breakerState,
  });
  // The fast path runs operations the compiled executor has published; with graphql-js (or switched off) Apollo
  // answers every request.
  const known = config.graphqlExecutor === 'jit' && config.graphqlFastPath ? new KnownOperations() : undefined;
  const chooseMediaType = createMediaTypeChooser();
  const apollo = await createApolloServer({
    schemaPath: SCHEMA_PATH,
    maxFirst: config.listSize,
    production: config.nodeEnv === 'production',
    introspection: config.introspection,
    executor: config.graphqlExecutor,
    known,
    chooseMediaType,
    plugins: [operationMetricsPlugin(telemetry), cacheSignalsPlugin({ cacheName: CACHE_NAME }), jsonStatusPlugin<GatewayContext>(), internalErrorsPlugin<GatewayContext>(logger)],
    persistedQueries: {
      cache: new PersistedQueryCache({ store, keyPrefix: config.keyPrefix, ttlSeconds: config.persistedQueryTtlSeconds, telemetry, logger }),
      ttlSeconds: config.persistedQueryTtlSeconds,
    },
  });
  const purchases = new PurchaseService({
    store,
    recommendations,
    keyPrefix: config.keyPrefix,
    orderRetentionMs: ORDER_RETENTION_MS,
    logger,
  });
  purchases.holdFailuresIn(outbox);
  const authenticate = createAuthenticator(config.auth);
  if (config.auth.mode === 'none') {
    logger.warn('AUTHENTICATION IS OFF: every caller may read any user and record purchases. Set AUTH_JWT_SECRET or AUTH_JWKS_URL; production refuses to start without one.');
  }
  const limits = new ClientLimits(config.rateLimits);
  const admin = {
    purgeModelVersion: async (modelVersion: string) => {
      const removed = await store.purgeVersion(versionScanPatterns(config.keyPrefix, modelVersion), 500);
      telemetry.purged(removed);
      return removed;
    },
  };
  const context = async (request: FastifyRequest, record: GatewayContext['record']): Promise<GatewayContext> => {
    const principal = await authenticate(request.headers.authorization);
    // Rate limits follow the token's subject; without auth (development) they follow the client address.
    const clientId = principal.anonymous ? `ip:${request.ip}` : `sub:${principal.subject}`;
    return {
      loaders: createRequestLoaders(recommendations, MAX_BATCH, (list) => record.served.push(list), {
        admitComputes: (count) => limits.takeComputes(clientId, count),
      }),
      catalog,
      recommendations,
      record,
      purchases,
      principal,
      clientId,
      limits,
      admin,
    };
  };
  await apollo.start();
  const metrics = {
    contentType: telemetry.registry.contentType,
    render: () => telemetry.registry.metrics(),
  };
  const http = await createHttpServer({
    apollo,
    context,
    readiness,
    metrics,
    logger,
    bodyLimit: 64 * 1024,
    corsOrigins: config.corsOrigins,
    fastPath: known === undefined ? undefined : createFastPath({ known, chooseMediaType, telemetry, cacheName: CACHE_NAME }),
  });

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
      const drain = await drainAndClose(http, config.shutdownDrainMs);
      if (!drain.drained) {
        logger.warn({ drainMs: config.shutdownDrainMs }, 'drain time over: cut the connections of requests still in flight');
      }
      await apollo.stop();
      // The outbox's last attempt goes first: it needs the store open.
      await settleWithin([outbox.close()], DEPENDENCY_CLOSE_MS);
      const closed = await settleWithin([activity.close(), store.close(), model.close()], DEPENDENCY_CLOSE_MS);
      logger.info({ drained: drain.drained, drainElapsedMs: drain.elapsedMs, dependenciesClosed: closed }, 'gateway closed');
    },
  };
}

function createStore(config: GatewayConfig, logger: PinoLogger, onReady: () => void): CacheStore {
  if (config.redisClusterUrls.length === 0 && config.redisUrl === undefined) {
    return new MemoryStore(100_000);
  }
  let lastReport = 0;
  return new RedisStore({
    url: config.redisUrl,
    clusterUrls: config.redisClusterUrls,
    timeoutMs: config.redisTimeoutMs,
    onReady,
    onError(error) {
      // A down Redis reports on every reconnect attempt; one line every few seconds is enough to act on.
      const now = Date.now();
      if (now - lastReport < 5_000) return;
      lastReport = now;
      logger.error({ err: error }, 'redis connection error; reads fall back to the model until it returns');
    },
  });
}
