import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { RequestRecord } from '../request-record.js';
import type { ResponseEffect } from './effect.js';

/**
 * Runs the response effects (`responseEffects`) on every answer Apollo sends, in order, as the fast path runs them on
 * its own. Registered first among the plugins, so that the ones after it see the headers the effects set (the
 * json-status plugin follows the chosen `Content-Type`).
 */
export function responseEffectsPlugin<TContext extends { readonly record: RequestRecord }>(
  effects: readonly ResponseEffect[],
): ApolloServerPlugin<TContext> {
  const starts = effects.flatMap((effect) => (effect.started === undefined ? [] : [effect.started]));
  // One listener for every request: everything per request is on the request context.
  const listener: GraphQLRequestListener<TContext> = {
    async willSendResponse({ request, response, operation, operationName, contextValue }) {
      const single = response.body.kind === 'single';
      const answer = {
        record: contextValue.record,
        operation: operation === undefined ? undefined : { type: operation.operation, name: operationName ?? null },
        accept: request.http?.headers.get('accept'),
        headers: response.http.headers,
        result: response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult,
        single,
        fastPath: false,
      };
      for (const effect of effects) effect.apply(answer);
    },
  };
  return {
    async requestDidStart() {
      for (const start of starts) start();
      return listener;
    },
  };
}
