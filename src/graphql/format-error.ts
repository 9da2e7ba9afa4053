import type { GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode } from '@apollo/server/errors';

/**
 * In production, an unexpected error (a bug, a driver message) reaches the client only as "Internal server error":
 * its message may name hosts, keys or tokens. Errors we raise on purpose carry their own code and pass unchanged.
 */
export function createErrorFormatter(production: boolean): (formatted: GraphQLFormattedError) => GraphQLFormattedError {
  return (formatted) => {
    if (!production || formatted.extensions?.code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
