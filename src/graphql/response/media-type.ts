import Negotiator from 'negotiator';
import type { ResponseEffect } from './effect.js';

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
 * type of every response afresh (`negotiator`, about 2% of a cache hit's CPU); Apollo keeps a content type already
 * set. A header that accepts none of the offers is left to Apollo, which answers 406 as before (the fast path does
 * not take such a request).
 */
export function mediaTypeEffect(choose: MediaTypeChooser = createMediaTypeChooser()): ResponseEffect {
  return {
    name: 'media-type',
    apply(answer) {
      if (!answer.single || answer.headers.has('content-type')) return;
      const type = answer.mediaType ?? choose(answer.accept);
      if (type !== null) answer.headers.set('content-type', type);
    },
  };
}
