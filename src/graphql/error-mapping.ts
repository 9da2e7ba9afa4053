import { GraphQLError } from 'graphql';
import { ClientError, ErrorCode, PersistedQueryErrorCode } from '../errors.js';
import type { ClientErrorCode } from '../errors.js';

/**
 * The HTTP status of a request refused with one of these codes before it executes. Apollo reads it from
 * `extensions.http` and leaves it out of the body; every other code is answered with Apollo's own status.
 */
const REFUSAL_STATUS: Partial<Record<ClientErrorCode, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [PersistedQueryErrorCode.QUERY_NOT_IN_SAFELIST]: 400,
};

/**
 * A `ClientError` as a GraphQL error: same message, same `extensions` (in the same key order), plus the HTTP status
 * its code is answered with. The client error stays the `originalError`, so logs keep its class and cause.
 */
export function toGraphQLError(error: ClientError): GraphQLError {
  const status = REFUSAL_STATUS[error.code];
  return new GraphQLError(error.message, {
    extensions: status === undefined ? { ...error.extensions } : { ...error.extensions, http: { status } },
    originalError: error,
  });
}

/**
 * What Apollo must be handed for an error raised outside execution (while the context is built, in a plugin hook):
 * a `ClientError` mapped, anything else unchanged. Apollo would otherwise prefix the message ("Context creation
 * failed: ") or answer 500. Errors thrown by resolvers need no mapping: graphql-js and graphql-jit both take the
 * `extensions` of the error a resolver throws, so a `ClientError` reaches the client with its code as it is.
 */
export function asGraphQLError(error: unknown): unknown {
  return error instanceof ClientError ? toGraphQLError(error) : error;
}
