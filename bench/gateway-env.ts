/**
 * The gateway child's environment for the focused bench commands (profile, misses, scaling): production settings with
 * JWT auth on, as `run.ts` uses, plus whatever a script varies (executor, model workers, store). Children inherit
 * nothing else from the caller (see servers.ts).
 */
export interface GatewayEnvironmentOptions {
  readonly jwtSecret: string;
  /** Undefined: the memory store. */
  readonly redisUrl?: string | undefined;
  readonly extra?: Readonly<Record<string, string>>;
}

export function gatewayEnvironment(options: GatewayEnvironmentOptions): Record<string, string> {
  return {
    AUTH_JWT_SECRET: options.jwtSecret,
    AUTH_JWKS_URL: '',
    AUTH_JWT_ISSUER: '',
    AUTH_JWT_AUDIENCE: '',
    // The limiter still runs on every miss; lifted so a miss stream measures the model, not the limiter.
    RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    REDIS_URL: options.redisUrl ?? '',
    REDIS_CLUSTER_URLS: '',
    CACHE_KEY_PREFIX: '',
    MODEL_VERSION: 'v1',
    // Far longer than a run: no warm list expires or refreshes early while it is measured.
    CACHE_TTL_SECONDS: '3600',
    RECS_LIST_SIZE: '100',
    ...options.extra,
  };
}
