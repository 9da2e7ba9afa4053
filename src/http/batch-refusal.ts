/**
 * Batched HTTP requests (a JSON array of operations, as Apollo Client's BatchHttpLink sends) are refused. Accepting
 * them would need every per-request limit (aliases = users, depth, tokens, rate budgets) counted over the whole
 * batch; separate requests over one keep-alive or HTTP/2 connection cost little more and are each answered as soon
 * as they are ready, by the fast path where they are known.
 *
 * Apollo Server's own refusal is one error object, which BatchHttpLink reports only as "results with length 1,
 * expected length of N". This answer has one result per operation, each carrying the reason, so every operation of
 * the batch fails with a message its developer can act on.
 */
export const BATCH_REFUSED_MESSAGE =
  'Batched requests are not accepted: send one operation per request (with Apollo Client, use HttpLink instead of BatchHttpLink).';

/** Above this many operations the answer is one error object: a refusal must not cost more than the request. */
const MAX_ECHOED_OPERATIONS = 100;

export interface BatchRefusal {
  readonly status: 400;
  /** The `extensions.code` every error of the answer carries. */
  readonly code: 'BAD_REQUEST';
  readonly contentType: string;
  readonly body: string;
}

/** The answer to a batch of `operations` operations; `accept` picks the JSON media type, as for single requests. */
export function refuseBatch(operations: number, accept: string | undefined): BatchRefusal {
  const code = 'BAD_REQUEST';
  const result = requestError(BATCH_REFUSED_MESSAGE, code);
  const body = operations >= 1 && operations <= MAX_ECHOED_OPERATIONS ? new Array(operations).fill(result) : result;
  return { status: 400, code, contentType: refusalMediaType(accept), body: `${JSON.stringify(body)}\n` };
}

/** The JSON media type of an early refusal: GraphQL over HTTP's own unless the client accepts only plain JSON. */
export function refusalMediaType(accept: string | undefined): string {
  const graphqlResponse = accept === undefined || accept.includes('application/graphql-response+json');
  return graphqlResponse ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8';
}

/** An early refusal's result, as Apollo formats a request error: one error with its code, and no `data`. */
export function requestError(message: string, code: string): { readonly errors: readonly object[] } {
  return { errors: [{ message, extensions: { code } }] };
}
