import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode } from '@apollo/server/errors';

/**
 * In production, an unexpected error (a bug, a driver message) reaches the client only as "Internal server error":
 * its message may name hosts, keys or tokens. Errors we raise on purpose carry their own code and pass unchanged.
 */
export function createErrorFormatter(
  production: boolean,
): (formatted: GraphQLFormattedError, error?: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    if (formatted.extensions?.code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    // Apollo raises a few request errors without a code but with a 4xx status (an unsupported persisted-query
    // version, a sha256Hash that does not match the query): they are the client's, not internal, and say so.
    if (isClientStatus(error))
      return { ...formatted, extensions: { ...formatted.extensions, code: ApolloServerErrorCode.BAD_REQUEST } };
    if (!production) return formatted;
    return {
      message: 'Internal server error',
      path: formatted.path,
      extensions: { code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

function isClientStatus(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const http: unknown = error.extensions.http;
  if (typeof http !== 'object' || http === null || !('status' in http)) return false;
  const { status } = http;
  return typeof status === 'number' && status >= 400 && status < 500;
}
