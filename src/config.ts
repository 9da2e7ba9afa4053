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
  /** Version of the built-in model; part of every cache key. */
  readonly modelVersion: string;
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
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): GatewayConfig {
  return {
    port: readInteger(env, 'PORT', 4000, 0, 65535),
    host: readString(env, 'HOST', '0.0.0.0'),
    redisUrl: readRedisUrl(env, 'REDIS_URL'),
    redisClusterUrls: readRedisUrlList(env, 'REDIS_CLUSTER_URLS'),
    keyPrefix: readKeyPrefix(env, 'CACHE_KEY_PREFIX'),
    modelVersion: readModelVersion(env, 'MODEL_VERSION', 'v1'),
    cacheTtlSeconds: readInteger(env, 'CACHE_TTL_SECONDS', 600, 1, 7 * 24 * 3600),
    cacheGraceSeconds: readInteger(env, 'CACHE_GRACE_SECONDS', 3600, 0, 7 * 24 * 3600),
    listSize: readInteger(env, 'RECS_LIST_SIZE', 100, 1, 1000),
    redisTimeoutMs: readInteger(env, 'REDIS_TIMEOUT_MS', 1000, 10, 60_000),
    nodeEnv: readNodeEnv(env),
    logLevel: readOneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  };
}

// Private: one reader per kind of value.

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
  const value = env[name] ?? '';
  if (!PREFIX_PATTERN.test(value)) {
    throw new ConfigError(
      `${name} must be at most 64 characters of letters, digits, '.', '_', ':' or '-', but got: ${JSON.stringify(value)}`,
    );
  }
  return value;
}
