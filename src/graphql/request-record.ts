import type { ServedList } from '../recs/served-list.js';
import type { OperationOutcome, ServedSource } from '../telemetry/events.js';

/**
 * What one HTTP request did, gathered while it runs and read when it ends. The loaders add every list they serve,
 * the operation-metrics response effect sets the operation and its outcome; the cache-signals effect (Cache-Status,
 * Age, `extensions.recsCache`) and the request log line read it. Mutable on purpose, and never shared: one per
 * request.
 */
export interface RequestRecord {
  /** The resolved operation's name, `anonymous` for an unnamed one; undefined until (unless) it resolves. */
  operationName: string | undefined;
  outcome: OperationOutcome | undefined;
  /** The resolved operation's type; undefined until (unless) it resolves. */
  operationType?: 'query' | 'mutation' | 'subscription';
  /** Distinct `extensions.code`s of the errors in the answer (none on a successful one). */
  errorCodes?: readonly string[];
  /** Every list served to this request, in the order the loaders produced them. */
  readonly served: ServedList[];
}

/** The operation label of a request whose operation never resolved (unparsable, invalid, refused before GraphQL). */
export const UNRESOLVED_OPERATION = 'unresolved';

export function createRequestRecord(): RequestRecord {
  return { operationName: undefined, outcome: undefined, served: [] };
}

/**
 * Notes a request refused with `code` before Apollo ran (a batch, another `Host`, a document outside the safelist, a
 * refused token) as the operation-metrics effect notes a request error Apollo answers: unresolved, rejected, with
 * its code. The request metrics and the log line then show both kinds of refusal alike.
 */
export function noteRefusal(record: RequestRecord, code: string): void {
  record.operationName = UNRESOLVED_OPERATION;
  record.outcome = 'rejected';
  record.operationType = undefined;
  record.errorCodes = [code];
}

/** How many lists of each source the request served: the cache outcome of the request log line. */
export function countBySource(served: readonly ServedList[]): Record<ServedSource, number> {
  const counts: Record<ServedSource, number> = { CACHE: 0, MODEL: 0, STALE: 0 };
  for (const list of served) counts[list.source] += 1;
  return counts;
}
