import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { QueryNotInSafelistError } from '../../../errors.js';
import type { PersistedQueryAdmission } from '../../../limits/client-limits.js';
import type { Logger } from '../../../telemetry/events.js';
import type { TrustedDocuments } from '../../trusted-documents.js';
import { toGraphQLError } from '../../error-mapping.js';

export interface PersistedQueriesPluginOptions<TContext> {
  /** Whether a registration of `bytes` by this request's client may be stored (`ClientLimits.admitPersistedQuery`). */
  readonly admit: (context: TContext, bytes: number) => Promise<PersistedQueryAdmission>;
  /**
   * With TRUSTED_DOCUMENTS_ONLY=true: the manifest. The HTTP layer refuses other full-text documents before they
   * are parsed (http/server.ts); this is the same check once more, after validation, for anything that got past it.
   */
  readonly trustedOnly?: TrustedDocuments;
  readonly logger: Logger;
}

/**
 * Apollo registers an automatic persisted query for any client that sends a document with its hash, after
 * validation and `didResolveOperation`, if `metrics.persistedQueryRegister` is still set (requestPipeline.ts defers
 * the write so plugins can have their say). Here a registration over the client's or everyone's budget is dropped:
 * the request is answered as usual, only the document is not stored, so the client sends the full text next time.
 *
 * In trusted-only mode, a document whose hash is not in the manifest is refused in `didResolveOperation`, the first
 * hook whose errors Apollo answers as request errors (one thrown from `didResolveSource` becomes a 500).
 */
export function persistedQueriesPlugin<TContext extends BaseContext>(
  options: PersistedQueriesPluginOptions<TContext>,
): ApolloServerPlugin<TContext> {
  const { admit, trustedOnly, logger } = options;
  const listener: GraphQLRequestListener<TContext> = {
    async didResolveOperation(requestContext) {
      if (trustedOnly !== undefined && !trustedOnly.trusts(requestContext.queryHash))
        throw toGraphQLError(new QueryNotInSafelistError());
      if (requestContext.metrics.persistedQueryRegister !== true) return;
      const verdict = await admit(requestContext.contextValue, Buffer.byteLength(requestContext.source, 'utf8'));
      if (verdict === 'admitted') return;
      requestContext.metrics.persistedQueryRegister = false;
      logger.debug(
        { verdict, bytes: Buffer.byteLength(requestContext.source, 'utf8') },
        'persisted query not registered',
      );
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
