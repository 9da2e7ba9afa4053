import type { GraphQLFormattedError } from 'graphql';
import type { OperationType } from '../../telemetry/tracing/operation-spans.js';
import type { RequestRecord } from '../request-record.js';

/** The headers of an answer being built: Apollo's `HeaderMap`, or the fast path's `HeaderList`. */
export interface AnswerHeaders {
  /** Replaces a header already set (names are lower case), else adds it after the others. */
  set(name: string, value: string): unknown;
  has(name: string): boolean;
}

/**
 * A GraphQL answer as a response effect sees it, whoever built it: Apollo (every answer, through
 * `responseEffectsPlugin`) or the fast path (its answers without errors).
 */
export interface GraphQLAnswer {
  /** The request's record (what it served, then its operation and outcome for the log line and request metrics). */
  readonly record: RequestRecord;
  /** The operation the document resolved to; undefined when none did (unparsable, invalid, unknown operation). */
  readonly operation: { readonly type: OperationType; readonly name: string | null } | undefined;
  /** The request's `Accept` header. */
  readonly accept: string | undefined;
  /**
   * The media type chosen for `accept`, when the answering path chose it before answering: the fast path does, to
   * leave a request that accepts none of the offers to Apollo (406). Otherwise the media-type effect chooses.
   */
  readonly mediaType?: string;
  readonly headers: AnswerHeaders;
  /**
   * The result to be written: a single result, or the initial payload of an incremental one (`single: false`). Its
   * `extensions` may be replaced; everything else is read only.
   */
  readonly result: {
    readonly data?: unknown;
    readonly errors?: readonly GraphQLFormattedError[];
    extensions?: Record<string, unknown>;
  };
  readonly single: boolean;
  /** Whether the fast path answers (false: Apollo). */
  readonly fastPath: boolean;
}

/**
 * One effect of answering a GraphQL request: a header, an entry in `extensions`, a metric, a note for the log line
 * or the span. The ordered list of them (`responseEffects`) is the one definition of what a successful answer
 * carries beyond its data, applied by both answering paths, so an effect cannot reach one path only.
 */
export interface ResponseEffect {
  /** What it does, for diagnostics and tests. */
  readonly name: string;
  /** When the request starts being answered (Apollo's `requestDidStart`, the fast path before it executes). */
  readonly started?: () => void;
  /** When the answer is complete, before it is written (Apollo's `willSendResponse`). */
  apply(answer: GraphQLAnswer): void;
}
