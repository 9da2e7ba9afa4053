import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError } from 'graphql';
import type { Logger } from '../../../telemetry/events.js';

/**
 * Logs every unexpected error (one without a code of ours or Apollo's: a bug, a driver message) at error level, with
 * its cause and stack. In production the client only ever sees "Internal server error" (format-error.ts); without
 * this line the cause would be lost on both sides. Credentials never reach it: errors carry no request headers.
 */
export function internalErrorsPlugin<TContext extends BaseContext>(
  logger: Pick<Logger, 'error'>,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            if (!isUnexpected(error)) continue;
            logger.error(
              { err: unwrapResolverError(error), path: error.path, operation: operationName ?? undefined },
              'unexpected error while serving a GraphQL request (clients in production see "Internal server error")',
            );
          }
        },
      };
    },
  };
}

function isUnexpected(error: GraphQLError): boolean {
  const extensions = (error.extensions as Record<string, unknown> | undefined) ?? {};
  const code = extensions.code;
  if (code !== undefined && code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR) return false;
  // Apollo's own request errors without a code (persisted-query mismatches) carry a 4xx status: the client's.
  const http = extensions.http as { status?: unknown } | undefined;
  return !(typeof http?.status === 'number' && http.status >= 400 && http.status < 500);
}
