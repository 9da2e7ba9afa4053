import { fileURLToPath } from 'node:url';
import type { Logger as PinoLogger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config.js';
import type { CacheStore, StoreDriver } from './cache/cache-store.js';
import { MemoryStore } from './cache/memory-store.js';
import { GuardedStore } from './cache/guarded-store.js';
import { RedisStore } from './cache/redis-store.js';
import { createApolloServer } from './graphql/apollo.js';
import type { GatewayContext } from './graphql/context.js';
import type { FastifyRequest } from 'fastify';
import { createAuthenticator } from './auth/authenticator.js';
import { budgetsKeyPrefix, versionScanPatterns } from './cache/key-scheme.js';
import { ClientLimits } from './limits/client-limits.js';
import { ConfigError, isLoopback } from './config.js';
import { checkEvictionPolicy, evictionAdvice } from './cache/eviction-policy.js';
import { closeRedisConnection, openRedisConnection } from './cache/redis-connection.js';
import type { RedisConnection } from './cache/redis-connection.js';
import { persistedQueriesPlugin } from './graphql/plugins/persisted-queries/index.js';
import { TrustedDocumentsCache, loadTrustedDocuments } from './graphql/trusted-documents.js';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { PurchaseService } from './purchases/purchase-service.js';
import { REMOTE_CATALOGUE_ITEM_CHECK, catalogueItemCheck } from './purchases/item-check.js';
import { PurchaseOutbox } from './purchases/purchase-outbox.js';
import { defaultTtlPolicy } from './cache/ttl-policy.js';
import { PersistedQueryStore } from './graphql/persisted-query-store.js';
import { jsonStatusPlugin } from './graphql/plugins/json-status/index.js';
import { internalErrorsPlugin } from './graphql/plugins/internal-errors/index.js';
import { retryAfterPlugin } from './graphql/plugins/retry-after/index.js';
import { createMediaTypeChooser } from './graphql/response/media-type.js';
import { responseEffects } from './graphql/response/effects.js';
import { createFastPath } from './graphql/fast-path.js';
import { KnownOperations } from './graphql/known-operations.js';
import { HandedOverResults } from './graphql/handed-over-results.js';
import { createHttpServer } from './http/server.js';
import { Readiness } from './http/readiness.js';
import { drainAndClose, settleWithin } from './http/shutdown.js';
import { createModel } from './model/create-model.js';
import { createCatalog } from './model/catalog.js';
import type { Catalog } from './model/catalog.js';
import type { Model } from './model/model.js';
import { RecommendationService } from './recs/recommendation-service.js';
import { createFreshness } from './freshness/create-freshness.js';
import { createRequestLoaders } from './recs/request-loaders.js';
import { createActivityRecorder } from './recs/create-activity-recorder.js';
import { realClock } from './recs/clock.js';
import {
  EARLY_REFRESH_BETA,
  LEASE_MS,
  LEASE_SHARE_OF_MIN_TUNED_TTL,
  LEASE_WAIT_MS,
  PURCHASE_STATE_TTL_MS,
  PURCHASES_REMEMBERED,
  PURGE_SCAN_BATCH,
} from './recs/tuning.js';
import { activityRecorderOptions, freshnessOptions, modelOptions } from './wiring/part-options.js';
import { createLogger } from './telemetry/logger.js';
import { PrometheusTelemetry } from './telemetry/metrics.js';
import { createPurchaseEventIntake } from './events/create-event-source.js';
import type { PurchaseEventSource } from './events/purchase-event-source.js';
import { RequestMetrics } from './telemetry/request-metrics.js';
import type { Tracer } from '@opentelemetry/api';
import { RequestIdsByUser } from './model/request-ids.js';
import { createOperationTracing } from './telemetry/tracing/operation-spans.js';
import { tracedModel, tracedStore, tracedTelemetry } from './wiring/traced-parts.js';

/** Parts a test (or another deployment) may swap; everything else is built from the config. */
export interface AppParts {
  readonly model?: Model;
  readonly store?: StoreDriver;
  readonly catalog?: Catalog;
  readonly logger?: PinoLogger;
  readonly telemetry?: PrometheusTelemetry;
  /** Tracing is on (telemetry/tracing/start-tracing.ts): spans for requests, operations, the store and the model. */
  readonly tracer?: Tracer;
  /** The read path's clock (freshness, Age); tests move it instead of waiting. Pair it with a store on the same clock. */
  readonly now?: () => number;
}

export interface App {
  readonly config: GatewayConfig;
  readonly http: FastifyInstance;
  readonly store: CacheStore;
  /** Where registered persisted query documents live (Apollo's keys, `apq:<sha256>`). */
  readonly persistedQueries: KeyValueCache<string>;
  readonly model: Model;
  readonly recommendations: RecommendationService;
  readonly logger: PinoLogger;
  readonly telemetry: PrometheusTelemetry;
  /** The purchase event consumer, when PURCHASE_EVENTS_URL is set. */
  readonly purchaseEvents: PurchaseEventSource | undefined;
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
  // First, before anything that would need closing: both may refuse to start (ConfigError).
  const trusted =
    config.trustedDocuments.manifestPath === undefined
      ? undefined
      : await loadTrustedDocuments(config.trustedDocuments.manifestPath);
  // Budgets and persisted query documents are shared by every replica through Redis, on a connection of their own
  // (not the list store's), which also answers the start-up check of Redis's eviction policy.
  const limitsConnection = await openSharedLimitsConnection(config, logger);
  const telemetry =
    parts.telemetry ??
    new PrometheusTelemetry({
      ttlSeconds: config.cacheTtlSeconds,
      graceSeconds: config.cacheGraceSeconds,
      freshnessTarget: config.freshness.target,
    });
  const catalog = parts.catalog ?? createCatalog();
  // MODEL_URL set: a remote ranking service, whose version is learned (bounded wait) before the first read.
  // A remote model is told which gateway request it computes for (x-request-id), through the users being loaded.
  const requestIds = config.modelUrl !== undefined && parts.model === undefined ? new RequestIdsByUser() : undefined;
  const untracedModel =
    parts.model ??
    (await createModel(modelOptions(config), {
      catalog,
      logger,
      telemetry,
      requestIdOf: requestIds === undefined ? undefined : (userIds) => requestIds.of(userIds),
    }));
  // Purchases the store could not take yet, retried until it does; the read path never serves their users from cache.
  const outbox: PurchaseOutbox = new PurchaseOutbox({
    apply: async (order): Promise<unknown> => purchases.apply(order),
    maxSize: config.purchaseOutboxSize,
    logger,
  });
  telemetry.watchPurchaseOutbox(() => outbox.size);
  let onStoreReady = (): void => {};
  const rawStore = parts.store ?? createStore(config, logger, () => onStoreReady());
  if (rawStore instanceof MemoryStore) telemetry.watchMemoryStore(() => rawStore.size);
  if (rawStore instanceof RedisStore && rawStore.nearCache !== undefined)
    telemetry.watchNearCache(() => rawStore.nearCache);
  // A store that can fail gets a circuit breaker: a sick Redis is remembered, not waited out on every read.
  const guarded =
    rawStore.kind === 'memory'
      ? undefined
      : new GuardedStore(rawStore, {
          failureThreshold: config.storeBreakerFailures,
          coolDownMs: config.storeBreakerCoolDownMs,
          onChange: (state) =>
            state === 'open'
              ? logger.error(
                  'store circuit breaker open: reads answer from the model without touching Redis; purchases are held',
                )
              : logger.info('store circuit breaker closed: Redis answers again'),
        });
  if (guarded !== undefined) {
    telemetry.watchStoreBreaker(() => guarded.breakerState);
    // Redis reconnected: probe at once with the held purchases, so they land within a reconnect of Redis answering.
    onStoreReady = () => {
      guarded.storeReady();
      void outbox.drain();
    };
  }
  // Tracing wraps the (guarded) store and the model at their boundaries; off, they are used as they are.
  const tracer = parts.tracer;
  const model = tracer === undefined ? untracedModel : tracedModel(untracedModel, tracer);
  const store = tracer === undefined ? (guarded ?? rawStore) : tracedStore(guarded ?? rawStore, tracer);
  const operationTracing = tracer === undefined ? undefined : createOperationTracing(tracer);
  // Recently active users, for the cutover warm-up (`npm run warm-up`); cheap on the read path by design.
  const activity = createActivityRecorder(activityRecorderOptions(config), logger);

  // Freshness: drift measured at every recompute tunes each list's TTL; the inspector samples served lists.
  // Its shadow recomputes go through the model's shadow view, so they can never open the breaker real misses need.
  const shadowView = untracedModel.forShadowCalls?.();
  const shadowModel =
    shadowView === undefined ? model : tracer === undefined ? shadowView : tracedModel(shadowView, tracer);
  const freshness = createFreshness(freshnessOptions(config), { model: shadowModel, telemetry, logger });
  const recommendations = new RecommendationService({
    store,
    model,
    keyPrefix: config.keyPrefix,
    ttl: defaultTtlPolicy(config.cacheTtlSeconds),
    graceMs: config.cacheGraceSeconds * 1000,
    listSize: config.listSize,
    // The service bounds the lease by the purchase-adaptive policy's shortest TTL; a drift-tuned TTL may be shorter
    // still (FRESHNESS_TTL_MIN_SECONDS, jittered by up to 10%), and a lease must lapse before its list goes stale.
    leaseMs: config.freshness.ttlTuning
      ? Math.min(LEASE_MS, Math.floor(config.freshness.minTtlSeconds * 1000 * LEASE_SHARE_OF_MIN_TUNED_TTL))
      : LEASE_MS,
    leaseWaitMs: LEASE_WAIT_MS,
    earlyRefreshBeta: EARLY_REFRESH_BETA,
    purchaseLimits: { maxRemembered: PURCHASES_REMEMBERED, stateTtlMs: PURCHASE_STATE_TTL_MS },
    // One bound for all store calls of a request; a memory store never waits.
    storeBudgetMs: guarded === undefined ? undefined : config.redisTimeoutMs,
    maxUnchargedComputes: config.unchargedComputeLimit,
    pendingPurchases: outbox,
    telemetry: tracer === undefined ? telemetry : tracedTelemetry(telemetry),
    logger,
    activity: activity.recorder,
    freshness: freshness.hooks,
    clock: parts.now === undefined ? undefined : { now: parts.now, sleep: (ms) => realClock.sleep(ms) },
  });

  const limits = new ClientLimits({
    ...config.rateLimits,
    shared:
      limitsConnection === undefined
        ? undefined
        : {
            connection: limitsConnection,
            keyPrefix: budgetsKeyPrefix(config.keyPrefix),
            timeoutMs: config.redisTimeoutMs,
          },
    persistedQueries: { ...config.persistedQueryBudgets, windowSeconds: config.persistedQueryTtlSeconds },
  });
  // Without Redis, `shared` and `local` are the same thing: this one process.
  const registered = new PersistedQueryStore(
    config.persistedQueryStore === 'local' || limitsConnection === undefined
      ? { kind: 'local', maxBytes: config.persistedQueryBudgets.globalBytes }
      : { kind: 'shared', connection: limitsConnection, timeoutMs: config.redisTimeoutMs },
    { keyPrefix: config.keyPrefix, ttlSeconds: config.persistedQueryTtlSeconds, telemetry, logger },
  );

  const readiness = new Readiness({
    store,
    model,
    timeoutMs: READINESS_TIMEOUT_MS,
    storeBreaker: guarded === undefined ? undefined : () => guarded.breakerState,
  });
  // The fast path runs operations the compiled executor has published; with graphql-js (or switched off) Apollo
  // answers every request.
  const known = config.graphqlExecutor === 'jit' && config.graphqlFastPath ? new KnownOperations() : undefined;
  const handedOver = known === undefined ? undefined : new HandedOverResults();
  const chooseMediaType = createMediaTypeChooser();
  // What Apollo finds a persisted query's text in, and the fast path too (the same documents, the same order).
  const persistedQueryCacheOver = (documents: KeyValueCache<string>): KeyValueCache<string> =>
    trusted === undefined ? documents : new TrustedDocumentsCache(trusted, documents, config.trustedDocuments.only);
  // One list for both answering paths: Apollo's plugin runs it, and so does the fast path.
  const effects = responseEffects({ chooseMediaType, telemetry, cacheName: CACHE_NAME, tracing: operationTracing });
  const apollo = await createApolloServer({
    schemaPath: SCHEMA_PATH,
    maxFirst: config.listSize,
    production: config.nodeEnv === 'production',
    introspection: config.introspection,
    executor: config.graphqlExecutor,
    known,
    handedOver,
    responseEffects: effects,
    plugins: [
      jsonStatusPlugin<GatewayContext>(),
      internalErrorsPlugin<GatewayContext>(logger),
      retryAfterPlugin<GatewayContext>(),
      persistedQueriesPlugin<GatewayContext>({
        admit: (context, bytes) => limits.admitPersistedQuery(context.clientId, bytes),
        trustedOnly: config.trustedDocuments.only ? trusted : undefined,
        logger,
      }),
    ],
    persistedQueries: { cache: persistedQueryCacheOver(registered), ttlSeconds: config.persistedQueryTtlSeconds },
  });
  const purchases = new PurchaseService({
    orders: store,
    recommendations,
    keyPrefix: config.keyPrefix,
    orderRetentionMs: ORDER_RETENTION_MS,
    logger,
  });
  purchases.holdFailuresIn(outbox);
  const authenticate = createAuthenticator(config.auth);
  if (config.auth.mode === 'none') {
    logger.warn(
      config.allowUnauthenticated
        ? `AUTHENTICATION IS OFF and open access is on (ALLOW_UNAUTHENTICATED=true): every caller that reaches ${config.host} may read any user and record purchases. Set AUTH_JWT_SECRET or AUTH_JWKS_URL; production refuses to start without one.`
        : `AUTHENTICATION IS OFF: listening on loopback (${config.host}) only; every local caller may read any user and record purchases. Set AUTH_JWT_SECRET or AUTH_JWKS_URL to serve other machines (or ALLOW_UNAUTHENTICATED=true if open access is intended); production refuses to start without one.`,
    );
  }
  // Durable purchase events (PURCHASE_EVENTS_URL): the same idempotent path as the mutation, fed by a broker.
  const items = config.modelUrl === undefined ? catalogueItemCheck(catalog) : REMOTE_CATALOGUE_ITEM_CHECK;
  const purchaseEvents = createPurchaseEventIntake(config.purchaseEvents, { purchases, items, telemetry, logger });
  if (purchaseEvents !== undefined) readiness.includeEvents(purchaseEvents.source);
  const admin = {
    purgeModelVersion: async (modelVersion: string) => {
      const removed = await store.purgeVersion(versionScanPatterns(config.keyPrefix, modelVersion), PURGE_SCAN_BATCH);
      telemetry.purged(removed);
      return removed;
    },
  };
  const context = async (request: FastifyRequest, record: GatewayContext['record']): Promise<GatewayContext> => {
    const principal = await authenticate(request.headers.authorization);
    // Rate limits follow the token's subject; without auth (development) they follow the client address.
    const clientId = principal.anonymous ? `ip:${request.ip}` : `sub:${principal.subject}`;
    return {
      loaders: createRequestLoaders(
        requestIds === undefined ? recommendations : attributed(recommendations, requestIds, request.id),
        MAX_BATCH,
        (list) => record.served.push(list),
        {
          admitComputes: (count) => limits.takeComputes(clientId, count),
        },
      ),
      catalog,
      recommendations,
      record,
      purchases,
      items,
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
    fastPath:
      known === undefined || handedOver === undefined
        ? undefined
        : createFastPath({
            known,
            handedOver,
            effects,
            chooseMediaType,
            telemetry,
            // A failed read is reported by Apollo's lookup of the same hash, which follows it (`unreported`).
            persistedQueries: persistedQueryCacheOver(registered.unreported),
            trusted,
          }),
    compressionMinBytes: config.compressionMinBytes,
    ide: config.graphqlIde
      ? { introspection: config.introspection, authRequired: config.auth.mode !== 'none' }
      : undefined,
    trustedOnly: config.trustedDocuments.only ? trusted : undefined,
    requestMetrics: new RequestMetrics({ registry: telemetry.registry, modelVersion: () => model.currentVersion() }),
    requestContext: tracer === undefined ? undefined : { tracer },
    // Loopback without auth keeps other machines out, not pages rebound to 127.0.0.1 (docs/security.md).
    loopbackHostsOnly: config.auth.mode === 'none' && !config.allowUnauthenticated && isLoopback(config.host),
  });

  return {
    config,
    http,
    store,
    persistedQueries: registered,
    model,
    recommendations,
    logger,
    telemetry,
    purchaseEvents: purchaseEvents?.source,
    async listen() {
      const address = await http.listen({ port: config.port, host: config.host });
      readiness.serving();
      // In the background: a broker that is down is retried, never a reason not to serve reads.
      purchaseEvents?.source.start(purchaseEvents.handler);
      return `${address.replace('0.0.0.0', '127.0.0.1')}/graphql`;
    },
    async close() {
      readiness.stopping();
      // Stop taking events while requests drain; the ones in flight finish and are acknowledged before the store closes.
      const eventsStopped = purchaseEvents?.source.stop();
      const drain = await drainAndClose(http, config.shutdownDrainMs);
      if (!drain.drained) {
        logger.warn(
          { drainMs: config.shutdownDrainMs },
          'drain time over: cut the connections of requests still in flight',
        );
      }
      if (eventsStopped !== undefined) await settleWithin([eventsStopped], DEPENDENCY_CLOSE_MS);
      await apollo.stop();
      // The outbox's last attempt goes first: it needs the store open.
      await settleWithin([outbox.close()], DEPENDENCY_CLOSE_MS);
      const closed = await settleWithin(
        [
          freshness.close().then(() => model.close()),
          activity.close(),
          store.close(),
          ...(limitsConnection === undefined ? [] : [closeRedisConnection(limitsConnection)]),
        ],
        DEPENDENCY_CLOSE_MS,
      );
      logger.info(
        { drained: drain.drained, drainElapsedMs: drain.elapsedMs, dependenciesClosed: closed },
        'gateway closed',
      );
    },
  };
}

/**
 * With Redis: a connection for the shared budgets, connecting in the background (a Redis down at start-up is
 * retried; budgets meanwhile count per process), and the eviction-policy check, which refuses to start in
 * production when Redis may evict order records and warns otherwise (or when the policy cannot be read).
 */
async function openSharedLimitsConnection(
  config: GatewayConfig,
  logger: PinoLogger,
): Promise<RedisConnection | undefined> {
  if (config.redisClusterUrls.length === 0 && config.redisUrl === undefined) return undefined;
  let lastReport = 0;
  const connection = openRedisConnection({
    url: config.redisUrl,
    clusterUrls: config.redisClusterUrls,
    timeoutMs: config.redisTimeoutMs,
    onError(error) {
      const now = Date.now();
      if (now - lastReport < 5_000) return;
      lastReport = now;
      logger.warn(
        { err: error },
        'redis connection for shared budgets failed; budgets count per process until it returns',
      );
    },
  });
  const connected = connection.client.connect().then(
    () => true,
    () => false,
  );
  await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, config.redisTimeoutMs).unref())]);
  const check = await checkEvictionPolicy(connection, config.redisTimeoutMs);
  const advice = evictionAdvice(check);
  if (advice !== undefined) {
    if (config.nodeEnv === 'production' && check.verdict === 'unsafe') {
      await closeRedisConnection(connection);
      throw new ConfigError(`NODE_ENV=production refuses a Redis that may evict order records: ${advice}`);
    }
    logger.warn({ eviction: check }, advice);
  }
  return connection;
}

/** The service as one request's loaders see it: the users it loads are attributed to the request meanwhile. */
function attributed(
  service: RecommendationService,
  requestIds: RequestIdsByUser,
  requestId: string,
): Pick<RecommendationService, 'loadMany'> {
  return {
    loadMany: (userIds, options) => requestIds.during(userIds, requestId, () => service.loadMany(userIds, options)),
  };
}

function createStore(config: GatewayConfig, logger: PinoLogger, onReady: () => void): StoreDriver {
  if (config.redisClusterUrls.length === 0 && config.redisUrl === undefined) {
    return new MemoryStore(config.memoryStoreMaxBytes);
  }
  let lastReport = 0;
  return new RedisStore({
    url: config.redisUrl,
    clusterUrls: config.redisClusterUrls,
    timeoutMs: config.redisTimeoutMs,
    nearCache:
      config.redisNearCacheMs === 0
        ? undefined
        : { ttlMs: config.redisNearCacheMs, maxKeys: config.redisNearCacheKeys },
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
