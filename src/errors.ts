import { GraphQLError } from 'graphql';

/**
 * Every error the gateway returns to a client, in one place (the fastify and Apollo habit). The public contract is
 * `extensions.code`; clients branch on it, so codes are never renamed. The error table of docs/design.md lists exactly
 * these codes, and a test keeps the two in step.
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
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class BadUserInputError extends GraphQLError {
  constructor(message: string, argumentName: string) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, argumentName } });
  }
}

export class ModelUnavailableError extends GraphQLError {
  constructor(cause: unknown) {
    // The cause stays on the server (logs); clients learn only that the model could not answer.
    super('The recommendation model is unavailable and no cached list could be served; retry shortly.', {
      extensions: { code: ErrorCode.MODEL_UNAVAILABLE },
      originalError: cause instanceof Error ? cause : undefined,
    });
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message: string, cause?: unknown) {
    super(`Unauthenticated: ${message}`, {
      extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
      originalError: cause instanceof Error ? cause : undefined,
    });
  }
}

export class ForbiddenError extends GraphQLError {
  // One message for every refusal: it must not reveal whether another user exists or has a list.
  constructor(action: string) {
    super(`Forbidden: this token may not ${action}`, { extensions: { code: ErrorCode.FORBIDDEN } });
  }
}

export class ConflictError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.CONFLICT } });
  }
}

export class RateLimitedError extends GraphQLError {
  constructor(what: string, retryAfterSeconds: number) {
    super(`Rate limited: too many ${what}; retry after ${retryAfterSeconds} s`, {
      extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds },
    });
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

export class QueryNotInSafelistError extends GraphQLError {
  constructor() {
    super('This gateway runs only the trusted documents its apps were built with; this document is not one of them.', {
      extensions: { code: PersistedQueryErrorCode.QUERY_NOT_IN_SAFELIST, http: { status: 400 } },
    });
  }
}

/**
 * A purchase that could not be applied to the store (order claim, generation bump, bought-item memory, list
 * deletion). Retryable by contract: a retry with the same orderId completes whatever this attempt left undone, and
 * is never answered `duplicate: true` unless the purchase was applied. Callers that are not GraphQL clients (a
 * purchase-event consumer) branch on `instanceof` or on `extensions.retryable`.
 */
export class PurchaseNotAppliedError extends GraphQLError {
  readonly retryable = true;
  constructor(orderId: string, retryAfterSeconds: number, cause: unknown) {
    super(
      `The purchase of order ${orderId} is not recorded yet: the cache store is unavailable; retry with the same orderId after ${retryAfterSeconds} s`,
      {
        extensions: { code: ErrorCode.STORE_UNAVAILABLE, retryable: true, retryAfterSeconds },
        originalError: cause instanceof Error ? cause : undefined,
      },
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
