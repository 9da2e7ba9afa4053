import { availableParallelism } from 'node:os';
import { isValidSubject, subjectMatches } from './nats-subjects.js';

/**
 * Configuration: read once at start-up from the environment, validated, and passed down as one typed object.
 *
 * Each field has one `read*` helper that states the contract and then the bad value (the DataLoader habit), so an
 * operator who mistypes a variable learns at start-up what was expected instead of meeting odd behaviour later.
 */

export interface GatewayConfig {
  /** TCP port of the HTTP server. */
  readonly port: number;
  /**
   * Interface to bind; 0.0.0.0 serves every interface. Default: 0.0.0.0 with authentication configured (or open
   * access explicitly allowed), else 127.0.0.1, and without auth a non-loopback HOST is refused at start-up.
   */
  readonly host: string;
  /**
   * ALLOW_UNAUTHENTICATED=true: serving callers beyond this machine without authentication is intended (a demo, a
   * network already closed by other means). Without it, a gateway without auth listens on loopback only, the way
   * Redis's protected mode does. Never in production.
   */
  readonly allowUnauthenticated: boolean;
  /** Redis connection URL; undefined selects the in-memory Keyv store (one process only). */
  readonly redisUrl: string | undefined;
  /** Redis Cluster seed node URLs; when non-empty, takes precedence over `redisUrl`. */
  readonly redisClusterUrls: readonly string[];
  /** Prefix put in front of every key this gateway writes, e.g. `prod:` (empty by default). */
  readonly keyPrefix: string;
  /** Version of the built-in model; part of every cache key. With MODEL_URL, only assumed until the service answers. */
  readonly modelVersion: string;
  /** Base URL of a remote ranking service (see `model/protocol.ts`); undefined selects the built-in model. */
  readonly modelUrl: string | undefined;
  /** Budget of one call to the model service, retries included. */
  readonly modelTimeoutMs: number;
  /** How often the gateway asks the model service for its active version; 0 never polls. */
  readonly modelVersionPollSeconds: number;
  /** Most users in one call to the model service; larger batches are split. */
  readonly modelMaxBatch: number;
  /** How long a computed list counts as fresh. */
  readonly cacheTtlSeconds: number;
  /** How long past its TTL a list may still be served as STALE while a recompute runs (0 disables). */
  readonly cacheGraceSeconds: number;
  /** How many ranked items each cached list holds: the largest `first` a client may ask for. */
  readonly listSize: number;
  /** Bound on a single Redis command before the gateway gives up and falls back to the model. */
  readonly redisTimeoutMs: number;
  /**
   * With Redis: how long a value read may be kept in process between Redis' invalidations (0: no near cache), and how
   * many keys at most (`cache/redis-connection.ts`, NearCacheSettings).
   */
  readonly redisNearCacheMs: number;
  readonly redisNearCacheKeys: number;
  /** Bound on the in-memory store's estimated heap (bytes) when no Redis is configured; least recently used go first. */
  readonly memoryStoreMaxBytes: number;
  /** `production` turns on the secure defaults. */
  readonly nodeEnv: 'production' | 'development' | 'test';
  /** pino level. */
  readonly logLevel: string;
  /** On SIGTERM, how long in-flight requests may take to finish before their connections are closed. */
  readonly shutdownDrainMs: number;
  /** Browser origins allowed to call the API cross-origin (CORS); empty sends no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** How long an automatic persisted query (APQ) document stays registered in the store. */
  readonly persistedQueryTtlSeconds: number;
  /**
   * Bounds on automatic persisted query registrations, so documents cannot fill the shared store: the largest
   * document stored (APQ_MAX_DOCUMENT_BYTES), registrations per client (APQ_CLIENT_REGISTRATIONS) and bytes for all
   * clients together (APQ_STORE_BUDGET_BYTES), each per APQ_TTL_SECONDS window.
   */
  readonly persistedQueryBudgets: {
    readonly maxDocumentBytes: number;
    readonly perClient: number;
    readonly globalBytes: number;
  };
  /**
   * Where registered persisted query documents live (APQ_STORE): `shared` (default), the gateway's store, so every
   * replica knows a document once one has it; `local`, an LRU in each process bounded by APQ_STORE_BUDGET_BYTES,
   * so documents never share memory with lists, user states and order records (for a Redis that cannot run with
   * `noeviction`), at the cost of one re-send per replica.
   */
  readonly persistedQueryStore: 'shared' | 'local';
  /**
   * Trusted documents: a manifest of the operations the apps were built with (TRUSTED_DOCUMENTS_MANIFEST; GraphQL
   * Code Generator's `persisted-documents.json` or Apollo's persisted query manifest), always served by hash; with
   * TRUSTED_DOCUMENTS_ONLY=true nothing else runs and nothing is registered.
   */
  readonly trustedDocuments: { readonly manifestPath: string | undefined; readonly only: boolean };
  /** How bearer tokens are verified; `none` only outside production. */
  readonly auth: AuthConfig;
  /** Introspection is off in production unless explicitly enabled. */
  readonly introspection: boolean;
  /**
   * What executes validated GraphQL operations (GRAPHQL_EXECUTOR): `jit` (default) runs operations compiled once per
   * document by graphql-jit; `reference` runs graphql-js. Responses are the same (test/graphql/executor-parity.test.ts).
   */
  readonly graphqlExecutor: 'jit' | 'reference';
  /**
   * With the compiled executor, answer query documents Apollo has already accepted without Apollo's per-request
   * pipeline (GRAPHQL_FAST_PATH, default on; graphql/fast-path.ts). Off, Apollo answers every request.
   */
  readonly graphqlFastPath: boolean;
  /**
   * Worker threads scoring the built-in model's misses (MODEL_WORKERS), so a stream of cold users never stalls the
   * event loop that serves hits. 0 scores in-process, on the event loop. Default: one per core.
   */
  readonly modelWorkers: number;
  /** Durable purchase events from NATS JetStream (docs/purchase-events.md); undefined (the default) consumes none. */
  readonly purchaseEvents: PurchaseEventsConfig | undefined;
  /** Per-client budgets: purchases per minute, and users per minute whose list the model computes. */
  readonly rateLimits: { readonly purchasesPerMinute: number; readonly computesPerMinute: number };
  /** Serve the GraphiQL IDE on a browser's GET of `/graphql` (GRAPHQL_IDE); off in production unless enabled. */
  readonly graphqlIde: boolean;
  /** Answers at least this large are compressed when the client accepts br or gzip (HTTP_COMPRESSION_MIN_BYTES). */
  readonly compressionMinBytes: number;
  /**
   * Whether the built-in model's rankings drift with the clock (MODEL_DRIFT, `model/drift.ts`). Default on, except
   * under NODE_ENV=test, where suites compare lists computed seconds apart.
   */
  readonly modelDrift: boolean;
  /** Consecutive store failures (errors or timeouts) that open the store's circuit breaker. */
  readonly storeBreakerFailures: number;
  /** How long the store's breaker stays open before one call probes the store again. */
  readonly storeBreakerCoolDownMs: number;
  /** Users this process may compute at once without charging a client, when the store caused the compute. */
  readonly unchargedComputeLimit: number;
  /** Purchases this process holds at most while the store cannot take them (applied once it answers). */
  readonly purchaseOutboxSize: number;
  /** Served-list freshness (docs/freshness.md). */
  readonly freshness: FreshnessConfig;
}

export interface FreshnessConfig {
  /** FRESHNESS_TARGET: the RBO distance from the model's current answer a list may reach by the end of its TTL. */
  readonly target: number;
  /** FRESHNESS_TTL_TUNING: set each list's TTL from its user's drift estimate; off, every user gets the purchase-adaptive TTL. */
  readonly ttlTuning: boolean;
  /** FRESHNESS_TTL_MIN_SECONDS / FRESHNESS_TTL_MAX_SECONDS: the bounds a drift-tuned TTL is clamped to. */
  readonly minTtlSeconds: number;
  readonly maxTtlSeconds: number;
  /**
   * FRESHNESS_STALE_LIMIT: with TTL tuning, serve a list STALE only while its expected divergence stays under this
   * RBO distance; later reads compute before answering. Unset (default): the whole CACHE_GRACE_SECONDS, as before.
   */
  readonly staleLimit: number | undefined;
  /**
   * FRESHNESS_INSPECTOR_PER_SECOND: shadow recomputes per second that measure how far served lists are from the
   * model's answer now; 0 turns the inspector off. Default 2 (0 under NODE_ENV=test, whose suites count model calls).
   */
  readonly inspectorPerSecond: number;
}

export type AuthConfig =
  | { readonly mode: 'none' }
  | {
      readonly mode: 'jwt';
      /** HS256 shared secret (at least 32 bytes), or ... */
      readonly secret: string | undefined;
      /** ... a JWKS URL for asymmetric keys. */
      readonly jwksUrl: string | undefined;
      readonly issuer: string | undefined;
      readonly audience: string | undefined;
      /**
       * The longest validity a token may have (AUTH_MAX_TOKEN_LIFETIME_SECONDS): `exp` at most this far after `iat`,
       * and at most this far ahead of now. A token without `exp` is always refused.
       */
      readonly maxTokenLifetimeSeconds: number;
    };

/** Set by PURCHASE_EVENTS_URL; every other PURCHASE_EVENTS_* variable has a default. */
export interface PurchaseEventsConfig {
  /** NATS server URLs (PURCHASE_EVENTS_URL, comma-separated), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: readonly string[];
  /** JetStream stream (PURCHASE_EVENTS_STREAM, default `PURCHASES`); created on `subject` when missing. */
  readonly stream: string;
  /** Subject or filter of the events (PURCHASE_EVENTS_SUBJECT, default `purchases.recorded`). */
  readonly subject: string;
  /**
   * Durable consumer (PURCHASE_EVENTS_CONSUMER, default `recs-gateway`): every replica uses the same one, so each
   * event goes to one replica at a time.
   */
  readonly consumer: string;
  /**
   * Where rejected events are republished, with the reason in headers (PURCHASE_EVENTS_DEAD_LETTER_SUBJECT, default
   * `purchases.dead-letter`). Must not match `subject`.
   */
  readonly deadLetterSubject: string;
  /**
   * Events one replica works on at once (PURCHASE_EVENTS_MAX_IN_FLIGHT, default 32); also the pull batch, so at most
   * twice this many are held.
   */
  readonly maxInFlight: number;
  /**
   * Unacknowledged this long, an event is redelivered to any replica (PURCHASE_EVENTS_ACK_WAIT_SECONDS, default 30):
   * how a crashed gateway's events come back.
   */
  readonly ackWaitMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): GatewayConfig {
  const nodeEnv = readNodeEnv(env);
  const auth = readAuth(env, nodeEnv);
  const allowUnauthenticated = readBoolean(env, 'ALLOW_UNAUTHENTICATED', false);
  return {
    port: readInteger(env, 'PORT', 4000, 0, 65535),
    host: readHost(env, auth, allowUnauthenticated),
    allowUnauthenticated,
    redisUrl: readRedisUrl(env, 'REDIS_URL'),
    redisClusterUrls: readRedisUrlList(env, 'REDIS_CLUSTER_URLS'),
    keyPrefix: readKeyPrefix(env, 'CACHE_KEY_PREFIX'),
    modelVersion: readModelVersion(env, 'MODEL_VERSION', 'v1'),
    modelUrl: readHttpUrl(env, 'MODEL_URL'),
    modelTimeoutMs: readInteger(env, 'MODEL_TIMEOUT_MS', 2000, 10, 60_000),
    modelVersionPollSeconds: readInteger(env, 'MODEL_VERSION_POLL_SECONDS', 10, 0, 3600),
    modelMaxBatch: readInteger(env, 'MODEL_MAX_BATCH', 100, 1, 10_000),
    cacheTtlSeconds: readInteger(env, 'CACHE_TTL_SECONDS', 600, 1, 7 * 24 * 3600),
    cacheGraceSeconds: readInteger(env, 'CACHE_GRACE_SECONDS', 3600, 0, 7 * 24 * 3600),
    listSize: readInteger(env, 'RECS_LIST_SIZE', 100, 1, 1000),
    redisTimeoutMs: readInteger(env, 'REDIS_TIMEOUT_MS', 1000, 10, 60_000),
    // Invalidations come from Redis at once; the bound only matters when they cannot: a silent partition, or a key past
    // its PX that Redis has not removed yet.
    redisNearCacheMs: readInteger(env, 'REDIS_NEAR_CACHE_MS', 2000, 0, 60_000),
    // About 10,000 users (a list and a state each): at most ~20 MB of 100-item lists.
    redisNearCacheKeys: readInteger(env, 'REDIS_NEAR_CACHE_KEYS', 20_000, 1, 10_000_000),
    // Default: 100,000 users of 100-item lists (cache/memory-store.ts). At least 1 MiB, at most 64 GiB.
    memoryStoreMaxBytes: readInteger(env, 'MEMORY_STORE_MAX_BYTES', 128 * 1024 * 1024, 1024 * 1024, 64 * 1024 ** 3),
    nodeEnv,
    auth,
    introspection: readBoolean(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    graphqlExecutor: readOneOf(env, 'GRAPHQL_EXECUTOR', 'jit', ['jit', 'reference'] as const),
    graphqlFastPath: readBoolean(env, 'GRAPHQL_FAST_PATH', true),
    modelWorkers: readInteger(env, 'MODEL_WORKERS', defaultModelWorkers(), 0, 64),
    purchaseEvents: readPurchaseEvents(env),
    rateLimits: {
      purchasesPerMinute: readInteger(env, 'RATE_LIMIT_PURCHASES_PER_MINUTE', 60, 1, 1_000_000),
      computesPerMinute: readInteger(env, 'RATE_LIMIT_COMPUTES_PER_MINUTE', 1200, 1, 10_000_000),
    },
    modelDrift: readBoolean(env, 'MODEL_DRIFT', nodeEnv !== 'test'),
    freshness: readFreshness(env, nodeEnv),
    logLevel: readOneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    shutdownDrainMs: readInteger(env, 'SHUTDOWN_DRAIN_MS', 10_000, 0, 600_000),
    corsOrigins: readOriginList(env, 'CORS_ORIGINS'),
    persistedQueryTtlSeconds: readInteger(env, 'APQ_TTL_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    graphqlIde: readBoolean(env, 'GRAPHQL_IDE', nodeEnv !== 'production'),
    // Above a typical hit (a 20-item list is about 2.4 KB), below a full list (100 items, 10.7 KB): http/compression.ts.
    compressionMinBytes: readInteger(env, 'HTTP_COMPRESSION_MIN_BYTES', 4096, 0, 1 << 30),
    persistedQueryBudgets: {
      maxDocumentBytes: readInteger(env, 'APQ_MAX_DOCUMENT_BYTES', 16 * 1024, 0, 64 * 1024),
      perClient: readInteger(env, 'APQ_CLIENT_REGISTRATIONS', 100, 1, 1_000_000),
      globalBytes: readInteger(env, 'APQ_STORE_BUDGET_BYTES', 8 * 1024 * 1024, 1, 1024 * 1024 * 1024),
    },
    trustedDocuments: readTrustedDocuments(env),
    persistedQueryStore: readOneOf(env, 'APQ_STORE', 'shared', ['shared', 'local'] as const),
    storeBreakerFailures: readInteger(env, 'STORE_BREAKER_FAILURES', 3, 1, 1000),
    storeBreakerCoolDownMs: readInteger(env, 'STORE_BREAKER_COOLDOWN_MS', 500, 10, 60_000),
    unchargedComputeLimit: readInteger(env, 'UNCHARGED_COMPUTE_LIMIT', 500, 1, 1_000_000),
    purchaseOutboxSize: readInteger(env, 'PURCHASE_OUTBOX_SIZE', 10_000, 1, 1_000_000),
  };
}

// Private: one reader per kind of value.

function readFreshness(env: Env, nodeEnv: GatewayConfig['nodeEnv']): FreshnessConfig {
  const target = readFraction(env, 'FRESHNESS_TARGET', 0.1);
  const minTtlSeconds = readInteger(env, 'FRESHNESS_TTL_MIN_SECONDS', 60, 1, 7 * 24 * 3600);
  const maxTtlSeconds = readInteger(env, 'FRESHNESS_TTL_MAX_SECONDS', 3600, 1, 7 * 24 * 3600);
  if (maxTtlSeconds < minTtlSeconds) {
    throw new ConfigError(
      `FRESHNESS_TTL_MAX_SECONDS must be at least FRESHNESS_TTL_MIN_SECONDS (${minTtlSeconds}), but got: ${maxTtlSeconds}`,
    );
  }
  return {
    target,
    ttlTuning: readBoolean(env, 'FRESHNESS_TTL_TUNING', true),
    minTtlSeconds,
    maxTtlSeconds,
    staleLimit:
      env.FRESHNESS_STALE_LIMIT === undefined || env.FRESHNESS_STALE_LIMIT === ''
        ? undefined
        : readFraction(env, 'FRESHNESS_STALE_LIMIT', 1),
    inspectorPerSecond: readInteger(env, 'FRESHNESS_INSPECTOR_PER_SECOND', nodeEnv === 'test' ? 0 : 2, 0, 1000),
  };
}

/** A number strictly between 0 and 1, e.g. an RBO distance. */
function readFraction(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\s*(0?\.\d+|0|1)\s*$/.test(raw) || !(value > 0 && value < 1)) {
    throw new ConfigError(`${name} must be a number strictly between 0 and 1, but got: ${JSON.stringify(raw)}`);
  }
  return value;
}

/** One scoring worker per core the process may use (at least one): scoring is pure CPU work. */
function defaultModelWorkers(): number {
  return Math.max(1, availableParallelism());
}

function readString(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, but got: ${JSON.stringify(raw)}`);
  }
  return value;
}

function readOneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const found = allowed.find((candidate) => candidate === raw);
  if (found === undefined) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, but got: ${JSON.stringify(raw)}`);
  }
  return found;
}

function readNodeEnv(env: Env): GatewayConfig['nodeEnv'] {
  return readOneOf(env, 'NODE_ENV', 'development', ['production', 'development', 'test'] as const);
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, but got: ${JSON.stringify(raw)}`);
}

function readAuth(env: Env, nodeEnv: GatewayConfig['nodeEnv']): AuthConfig {
  const secret = env.AUTH_JWT_SECRET === '' ? undefined : env.AUTH_JWT_SECRET;
  const jwksUrl = env.AUTH_JWKS_URL === '' ? undefined : env.AUTH_JWKS_URL;
  if (secret === undefined && jwksUrl === undefined) {
    if (nodeEnv === 'production') {
      // ALLOW_UNAUTHENTICATED does not change this: production always needs authentication.
      throw new ConfigError(
        'NODE_ENV=production needs authentication: set AUTH_JWT_SECRET (HS256, at least 32 bytes) or AUTH_JWKS_URL',
      );
    }
    return { mode: 'none' };
  }
  if (secret !== undefined && jwksUrl !== undefined) {
    throw new ConfigError('set either AUTH_JWT_SECRET or AUTH_JWKS_URL, not both');
  }
  // HS256 with a short secret is brute-forceable offline from any token; RFC 7518 section 3.2 asks for >= 256 bits.
  if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < 32) {
    throw new ConfigError(
      `AUTH_JWT_SECRET must be at least 32 bytes, but got ${Buffer.byteLength(secret, 'utf8')} bytes`,
    );
  }
  if (jwksUrl !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(jwksUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'https:' && protocol !== 'http:') {
      throw new ConfigError(`AUTH_JWKS_URL must be an http(s) URL, but got: ${JSON.stringify(jwksUrl)}`);
    }
  }
  return {
    mode: 'jwt',
    secret,
    jwksUrl,
    issuer: env.AUTH_JWT_ISSUER === '' ? undefined : env.AUTH_JWT_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE === '' ? undefined : env.AUTH_JWT_AUDIENCE,
    maxTokenLifetimeSeconds: readInteger(env, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS', 24 * 3600, 60, 30 * 24 * 3600),
  };
}

/**
 * Safe when forgotten: without authentication the gateway binds loopback unless ALLOW_UNAUTHENTICATED=true says open
 * access is intended, and an explicit non-loopback HOST without either is a configuration error, not a warning line.
 */
function readHost(env: Env, auth: AuthConfig, allowUnauthenticated: boolean): string {
  const open = auth.mode === 'jwt' || allowUnauthenticated;
  const host = readString(env, 'HOST', open ? '0.0.0.0' : '127.0.0.1');
  if (!open && !isLoopback(host)) {
    throw new ConfigError(
      `HOST=${host} serves other machines, but no authentication is configured: set AUTH_JWT_SECRET or AUTH_JWKS_URL, ` +
        'or ALLOW_UNAUTHENTICATED=true if open access is intended (without either, the gateway listens on 127.0.0.1 only)',
    );
  }
  return host;
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(bare);
}

function readTrustedDocuments(env: Env): GatewayConfig['trustedDocuments'] {
  const manifestPath = env.TRUSTED_DOCUMENTS_MANIFEST === '' ? undefined : env.TRUSTED_DOCUMENTS_MANIFEST;
  const only = readBoolean(env, 'TRUSTED_DOCUMENTS_ONLY', false);
  if (only && manifestPath === undefined) {
    throw new ConfigError(
      'TRUSTED_DOCUMENTS_ONLY=true needs TRUSTED_DOCUMENTS_MANIFEST, the path of the manifest of allowed operations',
    );
  }
  return { manifestPath, only };
}

function readHttpUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new ConfigError(`${name} must be a URL such as http://127.0.0.1:4100, but got: ${JSON.stringify(raw)}`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new ConfigError(`${name} must use the http:// or https:// scheme, but got: ${JSON.stringify(raw)}`);
  }
  return raw;
}

function readRedisUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  assertRedisUrl(name, raw);
  return raw;
}

function readRedisUrlList(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const urls = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const url of urls) assertRedisUrl(name, url);
  return urls;
}

function assertRedisUrl(name: string, raw: string): void {
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new ConfigError(`${name} must be a URL such as redis://127.0.0.1:6379, but got: ${JSON.stringify(raw)}`);
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new ConfigError(`${name} must use the redis:// or rediss:// scheme, but got: ${JSON.stringify(raw)}`);
  }
}

// Versions and prefixes end up inside Redis keys: keep them to characters that cannot forge a key boundary.
const VERSION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{0,64}$/;

function readModelVersion(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  if (!VERSION_PATTERN.test(value)) {
    throw new ConfigError(
      `${name} must be 1-64 characters of letters, digits, '.', '_' or '-', but got: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function readKeyPrefix(env: Env, name: string): string {
  const raw = env[name] ?? '';
  // `prod` and `prod:` both mean the `prod:` namespace; without the separator keys would read `prodrecs:{42}:v2`.
  if (!PREFIX_PATTERN.test(raw)) {
    throw new ConfigError(
      `${name} must be at most 64 characters of letters, digits, '.', '_', ':' or '-', but got: ${JSON.stringify(raw)}`,
    );
  }
  return raw === '' || raw.endsWith(':') ? raw : `${raw}:`;
}

/** `https://app.example.com,http://localhost:5173`: exact origins (scheme, host, optional port), no paths or wildcards. */
function readOriginList(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((origin) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (
        parsed === undefined ||
        (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
        parsed.origin !== origin
      ) {
        throw new ConfigError(
          `${name} must be a comma-separated list of origins such as https://app.example.com (no path, no trailing slash), but got: ${JSON.stringify(origin)}`,
        );
      }
      return origin;
    });
}

// Private: the purchase event consumer's settings.

// JetStream stream and consumer names become API subject tokens: no dots, wildcards or white space.
const NATS_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function readPurchaseEvents(env: Env): PurchaseEventsConfig | undefined {
  const raw = env.PURCHASE_EVENTS_URL;
  if (raw === undefined || raw.trim() === '') return undefined;
  const servers = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const server of servers) {
    let protocol = '';
    try {
      protocol = new URL(server).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'nats:' && protocol !== 'tls:') {
      throw new ConfigError(
        `PURCHASE_EVENTS_URL must be nats:// or tls:// URLs such as nats://127.0.0.1:4222, but got: ${JSON.stringify(server)}`,
      );
    }
  }
  const subject = readString(env, 'PURCHASE_EVENTS_SUBJECT', 'purchases.recorded');
  if (!isValidSubject(subject, true)) {
    throw new ConfigError(
      `PURCHASE_EVENTS_SUBJECT must be a NATS subject such as purchases.recorded, but got: ${JSON.stringify(subject)}`,
    );
  }
  const deadLetterSubject = readString(env, 'PURCHASE_EVENTS_DEAD_LETTER_SUBJECT', 'purchases.dead-letter');
  if (!isValidSubject(deadLetterSubject, false)) {
    throw new ConfigError(
      `PURCHASE_EVENTS_DEAD_LETTER_SUBJECT must be a NATS subject without wildcards, but got: ${JSON.stringify(deadLetterSubject)}`,
    );
  }
  // A dead letter consumed again would be rejected again, for ever.
  if (subjectMatches(subject, deadLetterSubject)) {
    throw new ConfigError(
      `PURCHASE_EVENTS_DEAD_LETTER_SUBJECT must not match PURCHASE_EVENTS_SUBJECT (${subject}), but got: ${JSON.stringify(deadLetterSubject)}`,
    );
  }
  return {
    servers,
    stream: readNatsName(env, 'PURCHASE_EVENTS_STREAM', 'PURCHASES'),
    subject,
    consumer: readNatsName(env, 'PURCHASE_EVENTS_CONSUMER', 'recs-gateway'),
    deadLetterSubject,
    maxInFlight: readInteger(env, 'PURCHASE_EVENTS_MAX_IN_FLIGHT', 32, 1, 1000),
    ackWaitMs: readInteger(env, 'PURCHASE_EVENTS_ACK_WAIT_SECONDS', 30, 1, 3600) * 1000,
  };
}

function readNatsName(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  if (!NATS_NAME_PATTERN.test(value)) {
    throw new ConfigError(
      `${name} must be 1-64 characters of letters, digits, '_' or '-', but got: ${JSON.stringify(value)}`,
    );
  }
  return value;
}
