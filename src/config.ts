import { availableParallelism } from 'node:os';

/**
 * Configuration: read once at start-up from the environment, validated, and passed down as one typed object.
 *
 * Each field has one `read*` helper that states the contract and then the bad value (the DataLoader habit), so an
 * operator who mistypes a variable learns at start-up what was expected instead of meeting odd behaviour later.
 */

export interface GatewayConfig {
  /** TCP port of the HTTP server. */
  readonly port: number;
  /** Interface to bind; 0.0.0.0 serves every interface. */
  readonly host: string;
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
  /** Per-client budgets: purchases per minute, and users per minute whose list the model computes. */
  readonly rateLimits: { readonly purchasesPerMinute: number; readonly computesPerMinute: number };
  /** Consecutive store failures (errors or timeouts) that open the store's circuit breaker. */
  readonly storeBreakerFailures: number;
  /** How long the store's breaker stays open before one call probes the store again. */
  readonly storeBreakerCoolDownMs: number;
  /** Users this process may compute at once without charging a client, when the store caused the compute. */
  readonly unchargedComputeLimit: number;
  /** Purchases this process holds at most while the store cannot take them (applied once it answers). */
  readonly purchaseOutboxSize: number;
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
    };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): GatewayConfig {
  const nodeEnv = readNodeEnv(env);
  return {
    port: readInteger(env, 'PORT', 4000, 0, 65535),
    host: readString(env, 'HOST', '0.0.0.0'),
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
    nodeEnv,
    auth: readAuth(env, nodeEnv),
    introspection: readBoolean(env, 'GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    graphqlExecutor: readOneOf(env, 'GRAPHQL_EXECUTOR', 'jit', ['jit', 'reference'] as const),
    graphqlFastPath: readBoolean(env, 'GRAPHQL_FAST_PATH', true),
    modelWorkers: readInteger(env, 'MODEL_WORKERS', defaultModelWorkers(), 0, 64),
    rateLimits: {
      purchasesPerMinute: readInteger(env, 'RATE_LIMIT_PURCHASES_PER_MINUTE', 60, 1, 1_000_000),
      computesPerMinute: readInteger(env, 'RATE_LIMIT_COMPUTES_PER_MINUTE', 1200, 1, 10_000_000),
    },
    logLevel: readOneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    shutdownDrainMs: readInteger(env, 'SHUTDOWN_DRAIN_MS', 10_000, 0, 600_000),
    corsOrigins: readOriginList(env, 'CORS_ORIGINS'),
    persistedQueryTtlSeconds: readInteger(env, 'APQ_TTL_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    storeBreakerFailures: readInteger(env, 'STORE_BREAKER_FAILURES', 3, 1, 1000),
    storeBreakerCoolDownMs: readInteger(env, 'STORE_BREAKER_COOLDOWN_MS', 500, 10, 60_000),
    unchargedComputeLimit: readInteger(env, 'UNCHARGED_COMPUTE_LIMIT', 500, 1, 1_000_000),
    purchaseOutboxSize: readInteger(env, 'PURCHASE_OUTBOX_SIZE', 10_000, 1, 1_000_000),
  };
}

// Private: one reader per kind of value.

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
    throw new ConfigError(`AUTH_JWT_SECRET must be at least 32 bytes, but got ${Buffer.byteLength(secret, 'utf8')} bytes`);
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
  };
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
  const urls = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
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
      if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== origin) {
        throw new ConfigError(
          `${name} must be a comma-separated list of origins such as https://app.example.com (no path, no trailing slash), but got: ${JSON.stringify(origin)}`,
        );
      }
      return origin;
    });
}
