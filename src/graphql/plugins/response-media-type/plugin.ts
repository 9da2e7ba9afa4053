import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import Negotiator from 'negotiator';

/** Apollo Server's media types for a single (non-incremental) result, in the order Apollo offers them. */
const APPLICATION_JSON = 'application/json; charset=utf-8';
const OFFERED = [
  APPLICATION_JSON,
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];
/** Distinct `Accept` headers remembered: clients send a handful; past this many, new ones are negotiated each time. */
const MAX_REMEMBERED = 256;

/** The media type of a single-result response for an `Accept` header; null when it accepts none of Apollo's offers. */
export type MediaTypeChooser = (accept: string | undefined) => string | null;

/**
 * Apollo's choice of `Content-Type` for a single result, made the same way (the same offers, in the same order,
 * with the same fallback for a missing header) but once per distinct `Accept` header: the answer depends on the
 * header alone, and clients send the same one every time.
 */
export function createMediaTypeChooser(): MediaTypeChooser {
  const chosen = new Map<string, string | null>();
  return (accept) => {
    if (accept === undefined || accept === '') return APPLICATION_JSON;
    let type = chosen.get(accept);
    if (type === undefined) {
      type = new Negotiator({ headers: { accept } }).mediaType(OFFERED) ?? null;
      if (chosen.size < MAX_REMEMBERED) chosen.set(accept, type);
    }
    return type;
  };
}

/**
 * Sets the response's `Content-Type` before Apollo does (see `createMediaTypeChooser`). Apollo negotiates the media
 * type of every response afresh (`negotiator`, about 2% of a cache hit's CPU); Apollo keeps a content type a plugin
 * has set. A header that accepts none of the offers is left to Apollo, which answers 406 as before.
 */
export function responseMediaTypePlugin<TContext extends BaseContext>(
  choose: MediaTypeChooser = createMediaTypeChooser(),
): ApolloServerPlugin<TContext> {
  const listener: GraphQLRequestListener<TContext> = {
    async willSendResponse({ request, response }) {
      if (response.body.kind !== 'single' || response.http.headers.has('content-type')) return;
      const type = choose(request.http?.headers.get('accept'));
      if (type !== null) response.http.headers.set('content-type', type);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
