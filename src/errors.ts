import { GraphQLError } from 'graphql';

/**
 * Every error the gateway returns to a client, in one place (the fastify and Apollo habit). The public contract is
 * `extensions.code`; clients branch on it, so codes are never renamed. The README's error table lists exactly these
 * codes, and a test keeps the two in step.
 */
export const ErrorCode = {
  /** An argument is malformed or out of range (Apollo's own code for the same thing). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The model could not compute a list and no graced list was there to serve instead. */
  MODEL_UNAVAILABLE: 'MODEL_UNAVAILABLE',
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

/** Internal: the cache store (Redis) failed or timed out. Never reaches a client; the cache degrades instead. */
export class StoreUnavailableError extends Error {
  static readonly code = 'E_STORE_UNAVAILABLE';
  override readonly name = 'StoreUnavailableError';
  constructor(operation: string, cause: unknown) {
    super(`cache store failed during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
