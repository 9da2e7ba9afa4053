import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import type { GraphQLError } from 'graphql';

/**
 * Request errors of a well-formed GraphQL-over-HTTP request that the spec answers with 200 when the response is
 * `application/json` (GraphQL over HTTP, "application/json" status codes): the document does not parse (the token
 * limit included), does not validate (the depth and alias limits included), names no operation it holds, or its
 * variables do not coerce. Apollo answers all of them with 400, which is right for `application/graphql-response+json`
 * only. Every other status (401, 405, 413, 415, ...) is left alone.
 */
const JSON_200_CODES: ReadonlySet<string> = new Set([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  // Variable coercion: Apollo's `status400ForVariableCoercionErrors`; a resolver's BAD_USER_INPUT is already 200.
  ApolloServerErrorCode.BAD_USER_INPUT,
]);

export const APPLICATION_JSON = 'application/json; charset=utf-8';

/**
 * Status codes by response media type, as GraphQL over HTTP asks: when the client prefers (or only accepts)
 * `application/json`, a parse, validation, operation-resolution or variable-coercion failure is 200 with the errors
 * in the body; a client that prefers `application/graphql-response+json` keeps Apollo's 400. The status follows the
 * content type when an earlier plugin has set it; otherwise both are set here together, so the two always agree.
 */
export function jsonStatusPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, errors }) {
          if (response.http.status !== 400 || response.body.kind !== 'single') return;
          if (!isOnlyRequestErrors(errors)) return;
          // The response effects, which run first, may have chosen the type already (media-type effect): follow it.
          const chosen = response.http.headers.get('content-type');
          if (chosen !== undefined) {
            if (!/^application\/json\s*(;|$)/i.test(chosen)) return;
          } else if (preferredResponseType(request.http?.headers.get('accept')) === 'application/json') {
            response.http.headers.set('content-type', APPLICATION_JSON);
          } else {
            return;
          }
          response.http.status = 200;
        },
      };
    },
  };
}

function isOnlyRequestErrors(errors: readonly GraphQLError[] | undefined): boolean {
  if (errors === undefined || errors.length === 0) return false;
  return errors.every((error) => {
    // Defensive: only GraphQLErrors should reach here, but a plugin must never turn a response into a 500.
    const code: unknown = (error.extensions as Record<string, unknown> | undefined)?.code;
    return typeof code === 'string' && JSON_200_CODES.has(code);
  });
}

type ResponseType = 'application/json' | 'application/graphql-response+json';
const OFFERED: readonly ResponseType[] = ['application/json', 'application/graphql-response+json'];

/**
 * Which of the two JSON media types an `Accept` header prefers, the way content negotiation ranks them (RFC 9110
 * section 12.5.1, as the `negotiator` package Apollo uses does it): highest q, then the most specific matching range,
 * then the range listed first, then the order offered (application/json first). No header means application/json;
 * undefined when neither is acceptable (Apollo then answers 406 itself).
 */
export function preferredResponseType(accept: string | undefined): ResponseType | undefined {
  if (accept === undefined || accept.trim() === '') return 'application/json';
  const ranges = accept.split(',').flatMap((part, order) => {
    const [range = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const [type = '', subtype = ''] = range.split('/');
    if (type === '' || subtype === '') return [];
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (match?.[1] !== undefined) q = Number(match[1]);
    }
    return Number.isFinite(q) ? [{ type, subtype, q, order }] : [];
  });
  let best: Rank | undefined;
  OFFERED.forEach((offered, index) => {
    const [type, subtype] = offered.split('/') as [string, string];
    let match: Rank | undefined;
    for (const range of ranges) {
      const typeMatches = range.type === type || range.type === '*';
      const subtypeMatches = range.subtype === subtype || range.subtype === '*';
      if (!typeMatches || !subtypeMatches) continue;
      // Exact type and subtype beat `application/*`, which beats `*/*` (the range's own rank, then its q).
      const specificity = (range.type === type ? 2 : 0) + (range.subtype === subtype ? 1 : 0);
      const rank: Rank = { offered, q: range.q, specificity, order: range.order, index };
      if (
        match === undefined ||
        specificity > match.specificity ||
        (specificity === match.specificity && (range.q > match.q || (range.q === match.q && range.order < match.order)))
      ) {
        match = rank;
      }
    }
    if (match === undefined || match.q <= 0) return;
    if (best === undefined || outranks(match, best)) best = match;
  });
  return best?.offered;
}

interface Rank {
  readonly offered: ResponseType;
  readonly q: number;
  readonly specificity: number;
  /** Position of the matching range in the Accept header. */
  readonly order: number;
  /** Position among the offered types. */
  readonly index: number;
}

function outranks(a: Rank, b: Rank): boolean {
  if (a.q !== b.q) return a.q > b.q;
  if (a.specificity !== b.specificity) return a.specificity > b.specificity;
  if (a.order !== b.order) return a.order < b.order;
  return a.index < b.index;
}
