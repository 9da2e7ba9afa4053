/**
 * Every error the gateway returns to a client, in one place (the fastify and Apollo habit). The public contract is
 * `extensions.code`; clients branch on it, so codes are never renamed. The error table of docs/design.md lists exactly
 * these codes, and a test keeps the two in step.
 *
 * These are plain `Error`s: the parts that raise them (recs, purchases, auth, limits, cache) know nothing of GraphQL.
 * The GraphQL layer turns them into GraphQL errors (src/graphql/error-mapping.ts), adding what belongs to the
 * transport (the HTTP status of a refused request).
 */
export const ErrorCode = {
  /** An argument is malformed or out of range (Apollo's own code for the same thing). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The model could not compute a list and no graced list was there to serve instead. */
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
  /** No valid bearer token (HTTP 401). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The token is valid but does not allow this (another user's list, a missing scope). */
  FORBIDDEN: 'FORBIDDEN',
  /** An orderId was already recorded for a different user or item. */
  CONFLICT: 'CONFLICT',
  /** The client exceeded its purchase or model-compute budget; retry after `retryAfterSeconds`. */
  RATE_LIMITED: 'RATE_LIMITED',
  /**
   * The cache store could not take a purchase in time: it is NOT recorded yet (this replica keeps retrying it).
   * `extensions.retryable` is true; retry with the same orderId after `retryAfterSeconds`.
   */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /**
   * Authentication is off and the request's `Host` is not a loopback name or address (HTTP 403): refused before any
   * work, so that a page whose name was rebound to 127.0.0.1 cannot read the unauthenticated API.
   */
  HOST_NOT_ALLOWED: 'HOST_NOT_ALLOWED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a client sees beside the message: the code, and the data that code promises (e.g. `retryAfterSeconds`). */
export type ClientErrorExtensions = Readonly<{ code: ClientErrorCode } & Record<string, unknown>>;

/**
 * An error raised on purpose for a client to read: a stable `code` and its `extensions`, which the GraphQL layer
 * sends as the error's `extensions` unchanged (key order included: it is the order clients see).
 */
export abstract class ClientError extends Error {
  readonly code: ClientErrorCode;
  readonly extensions: ClientErrorExtensions;
  protected constructor(message: string, extensions: ClientErrorExtensions, cause?: unknown) {
    // The cause stays on the server (logs); a client sees only the message and the extensions.
    super(message, cause instanceof Error ? { cause } : undefined);
    this.code = extensions.code;
    this.extensions = extensions;
  }
}

export class BadUserInputError extends ClientError {
  override readonly name = 'BadUserInputError';
  constructor(message: string, argumentName: string) {
    super(message, { code: ErrorCode.BAD_USER_INPUT, argumentName });
  }
}

export class ModelUnavailableError extends ClientError {
  override readonly name = 'ModelUnavailableError';
  constructor(cause: unknown) {
    // Clients learn only that the model could not answer.
    super(
      'The recommendation model is unavailable and no cached list could be served; retry shortly.',
      { code: ErrorCode.MODEL_UNAVAILABLE },
      cause,
    );
  }
}

export class UnauthenticatedError extends ClientError {
  override readonly name = 'UnauthenticatedError';
  constructor(message: string, cause?: unknown) {
    super(`Unauthenticated: ${message}`, { code: ErrorCode.UNAUTHENTICATED }, cause);
  }
}

export class ForbiddenError extends ClientError {
  override readonly name = 'ForbiddenError';
  // One message for every refusal: it must not reveal whether another user exists or has a list.
  constructor(action: string) {
    super(`Forbidden: this token may not ${action}`, { code: ErrorCode.FORBIDDEN });
  }
}

export class ConflictError extends ClientError {
  override readonly name = 'ConflictError';
  constructor(message: string) {
    super(message, { code: ErrorCode.CONFLICT });
  }
}

export class RateLimitedError extends ClientError {
  override readonly name = 'RateLimitedError';
  constructor(what: string, retryAfterSeconds: number) {
    super(`Rate limited: too many ${what}; retry after ${retryAfterSeconds} s`, {
      code: ErrorCode.RATE_LIMITED,
      retryAfterSeconds,
    });
  }
}

export class HostNotAllowedError extends ClientError {
  override readonly name = 'HostNotAllowedError';
  constructor() {
    super(
      'This gateway runs without authentication and answers only requests addressed to localhost or a loopback ' +
        'address (Host: localhost, *.localhost, 127.x.x.x or [::1]). Open it as http://localhost:<port>, or set ' +
        'AUTH_JWT_SECRET or AUTH_JWKS_URL to serve other host names.',
      { code: ErrorCode.HOST_NOT_ALLOWED },
    );
  }
}

/**
 * Codes of refusals that, like Apollo's own `PERSISTED_QUERY_NOT_FOUND`, belong to the persisted query protocol
 * rather than to this API's operations; Apollo Router uses the same name for the same refusal. Documented in
 * docs/security.md ("Persisted queries").
 */
export const PersistedQueryErrorCode = {
  /** TRUSTED_DOCUMENTS_ONLY=true and the document is not in the manifest (HTTP 400). */
  QUERY_NOT_IN_SAFELIST: 'QUERY_NOT_IN_SAFELIST',
} as const;

export type PersistedQueryErrorCode = (typeof PersistedQueryErrorCode)[keyof typeof PersistedQueryErrorCode];

/** Every code a `ClientError` may carry. */
export type ClientErrorCode = ErrorCode | PersistedQueryErrorCode;

export class QueryNotInSafelistError extends ClientError {
  override readonly name = 'QueryNotInSafelistError';
  constructor() {
    super('This gateway runs only the trusted documents its apps were built with; this document is not one of them.', {
      code: PersistedQueryErrorCode.QUERY_NOT_IN_SAFELIST,
    });
  }
}

/**
 * A purchase that could not be applied to the store (order claim, generation bump, bought-item memory, list
 * deletion). Retryable by contract: a retry with the same orderId completes whatever this attempt left undone, and
 * is never answered `duplicate: true` unless the purchase was applied. Callers that are not GraphQL clients (a
 * purchase-event consumer) branch on `instanceof` or on `extensions.retryable`.
 */
export class PurchaseNotAppliedError extends ClientError {
  override readonly name = 'PurchaseNotAppliedError';
  readonly retryable = true;
  constructor(orderId: string, retryAfterSeconds: number, cause: unknown) {
    super(
      `The purchase of order ${orderId} is not recorded yet: the cache store is unavailable; retry with the same orderId after ${retryAfterSeconds} s`,
      { code: ErrorCode.STORE_UNAVAILABLE, retryable: true, retryAfterSeconds },
      cause,
    );
  }
}

/** Internal: the cache store (Redis) failed or timed out. Never reaches a client; the cache degrades instead. */
export class StoreUnavailableError extends Error {
  static readonly code = 'E_STORE_UNAVAILABLE';
  override readonly name = 'StoreUnavailableError';
  constructor(operation: string, cause: unknown) {
    super(`cache store failed during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/**
 * Internal: a store call that was never sent, because the store's circuit breaker is open or the request has spent
 * its store time budget. A StoreUnavailableError like any other to callers; not logged again per request (the
 * failures that opened the breaker were).
 */
export class StoreNotAttemptedError extends StoreUnavailableError {}

/**
 * Why a call to the remote model service failed. `circuit-open` never reached the network: the breaker refused it.
 * Only `unreachable` and `http-status` (5xx) are retried; see `model/http-model.ts`.
 */
export type ModelServiceFailure = 'timeout' | 'unreachable' | 'http-status' | 'bad-response' | 'circuit-open';

/**
 * Internal: the remote model service (MODEL_URL) failed, timed out, answered off-protocol, or the circuit breaker is
 * open. Never reaches a client as such: the recommendation service serves a graced STALE list or MODEL_UNAVAILABLE.
 */
export class ModelServiceError extends Error {
  static readonly code = 'E_MODEL_SERVICE';
  override readonly name = 'ModelServiceError';
  readonly reason: ModelServiceFailure;
  /** The HTTP status, for `http-status` failures. */
  readonly status: number | undefined;
  constructor(reason: ModelServiceFailure, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(`model service ${reason}: ${message}`, { cause: options.cause });
    this.reason = reason;
    this.status = options.status;
  }
}
