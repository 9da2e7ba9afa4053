import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { ExecutionResult } from 'graphql';
import type { Telemetry } from '../telemetry/events.js';
import type { GatewayContext } from './context.js';
import type { HandedOverResults } from './handed-over-results.js';
import type { KnownOperation, KnownOperations } from './known-operations.js';
import type { GraphQLAnswer, ResponseEffect } from './response/effect.js';
import { HeaderList } from './response/header-list.js';
import type { MediaTypeChooser } from './response/media-type.js';
import { writeSuccessBody } from './response/success-body.js';
import type { ItemSplices } from './item-lists/spliced-operation.js';
import type { TrustedDocuments } from './trusted-documents.js';
import { APOLLO_APQ_KEY_PREFIX } from './persisted-query-store.js';

/** A POST or GET to `/graphql`, as the fast path needs it. */
export interface FastPathRequest {
  /** POST when left out. */
  readonly method?: 'POST' | 'GET';
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /**
   * The parsed JSON body of a POST; for a GET, the parsed query string (`query`, `variables`, `operationName`,
   * `extensions`).
   */
  readonly body: unknown;
  /** The request's context: built once per request and shared with Apollo, should Apollo answer. */
  context(): Promise<GatewayContext>;
}

/** A complete 200 response. */
export interface FastPathResponse {
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

export interface FastPath {
  /**
   * The response, or undefined when Apollo must answer: the request ran with errors (its result is handed over)
   * or is not a plain POST or GET of a known query, by its text or its persisted query hash (passed untouched).
   */
  serve(request: FastPathRequest): Promise<FastPathResponse | undefined>;
}

export interface FastPathOptions {
  readonly known: KnownOperations;
  /** Where a result with errors goes for Apollo to answer (its executor takes it back). */
  readonly handedOver: HandedOverResults;
  /** What a successful answer carries beyond its data: the very list Apollo's answers get (`responseEffects`). */
  readonly effects: readonly ResponseEffect[];
  /** The `Content-Type` choice the media-type effect makes: a request that accepts none of them is Apollo's (406). */
  readonly chooseMediaType: MediaTypeChooser;
  readonly telemetry: Pick<Telemetry, 'fastPath'>;
  /**
   * The persisted query cache exactly as Apollo is given it (the manifest first when there is one, then, unless
   * TRUSTED_DOCUMENTS_ONLY, the registered documents), asked with Apollo's `apq:` key prefix: a hash-only request is
   * answered with the text Apollo would find, and not at all when Apollo would find none (never registered, expired,
   * evicted, the store down, not a manifest id in trusted-only mode). A failed read is not reported here: Apollo's
   * lookup of the same hash follows and reports it.
   */
  readonly persistedQueries?: KeyValueCache<string>;
  /** The trusted documents manifest, when one is configured: its ids are worth a lookup, like known texts' hashes. */
  readonly trusted?: TrustedDocuments;
}

/** A request the fast path may take: the query text, or (an automatic persisted query) only its SHA-256. */
interface PlainRequest {
  readonly query?: string;
  readonly sha256Hash?: string;
  readonly operationName?: string | null;
  readonly variables?: Record<string, unknown> | null;
}

/**
 * Answers the requests that make up nearly all of a recommendation gateway's traffic, the same few query documents
 * sent again and again, without Apollo Server's per-request pipeline: no SHA-256 of the query text, no document
 * cache lookup, no header map copies, no plugin hook dispatch. Profiled, that pipeline was most of what a cache
 * hit cost beyond its own work (docs/design.md, "The hit path").
 *
 * It takes only what Apollo has already accepted: a JSON POST or a plain GET whose exact query text and operation
 * name Apollo has parsed, validated and executed before (`KnownOperations`), or that names such a text by an
 * automatic persisted query's hash alone (or by a trusted document's id) that Apollo's persisted query cache holds
 * for that very text, with no other `extensions` than Apollo
 * Client's `clientLibrary`, and then runs the very function Apollo's executor runs for it (`jit-executor.ts`). A
 * hash the cache does not hold, a hash sent with a text (Apollo checks they agree and registers the text) and, in
 * trusted-only mode, anything but a manifest id stay Apollo's. The response is the one Apollo would send for a
 * result without errors: the same response effects (`response/effects.ts`: `Cache-Control`, the negotiated
 * `Content-Type`, `Cache-Status`, `Age`, `extensions.recsCache`, the operation counted, noted for the request log
 * and traced) run on it in the same order.
 *
 * Anything with errors is Apollo's to answer: the result is handed over under the request's record (which Apollo's
 * copy of the context shares), and Apollo's executor answers with it instead of running the operation again; its
 * error formatting, status codes, masking and logging apply unchanged. test/graphql/executor-parity.test.ts
 * compares every response with graphql-js's.
 */
export function createFastPath(options: FastPathOptions): FastPath {
  const { known, handedOver, effects, chooseMediaType, telemetry, persistedQueries, trusted } = options;
  const starts = effects.flatMap((effect) => (effect.started === undefined ? [] : [effect.started]));

  const passed = (): undefined => {
    telemetry.fastPath('passed');
    return undefined;
  };

  /** The operation Apollo would run for this request, if the fast path knows it. */
  const operationOf = async (request: PlainRequest): Promise<KnownOperation | undefined> => {
    if (request.query !== undefined) return known.find(request.query, request.operationName);
    const hash = request.sha256Hash;
    // Only a hash the fast path could answer is looked up: any other is Apollo's, which looks it up itself.
    if (hash === undefined || persistedQueries === undefined) return undefined;
    if (known.textOf(hash) === undefined && trusted?.get(hash) === undefined) return undefined;
    const text = await persistedQueries.get(`${APOLLO_APQ_KEY_PREFIX}${hash}`);
    return text === undefined ? undefined : known.find(text, request.operationName);
  };

  return {
    async serve(request) {
      const body =
        request.method === 'GET'
          ? plainGetRequest(request.contentType, request.body)
          : plainPostRequest(request.contentType, request.body);
      if (body === undefined) return passed();
      // Chosen once: the answer carries it to the media-type effect.
      const mediaType = chooseMediaType(request.accept);
      if (mediaType === null) return passed();
      const operation = await operationOf(body);
      if (operation === undefined) return passed();
      let context: GatewayContext;
      try {
        context = await request.context();
      } catch {
        // Refused while building the context (e.g. no valid token): Apollo reports the same error.
        return passed();
      }
      for (const start of starts) start();
      let result: ExecutionResult;
      let splices: ItemSplices | undefined;
      try {
        ({ result, splices } = await execute(operation, context, body.variables ?? undefined));
      } catch {
        // graphql-jit reports resolver errors in the result; a throw is its own failure, which Apollo's executor
        // meets again and reports as an internal error.
        return passed();
      }
      if (result.errors !== undefined && result.errors.length > 0) {
        // Keyed by the request's record: Apollo executes with a shallow copy of the context, which keeps it.
        handedOver.handOver(context.record, result);
        telemetry.fastPath('handed_over');
        return undefined;
      }
      const headers = new HeaderList();
      const answer: GraphQLAnswer = {
        record: context.record,
        // Only queries become known operations.
        operation: { type: 'query', name: operation.operationName },
        accept: request.accept,
        mediaType,
        headers,
        result: { data: result.data, extensions: result.extensions },
        single: true,
        fastPath: true,
      };
      for (const effect of effects) effect.apply(answer);
      telemetry.fastPath('served');
      return {
        headers: headers.entries,
        body: writeSuccessBody(answer.result.data, answer.result.extensions, splices),
      };
    },
  };
}

/**
 * Runs the operation, its spliced form first where it has one (`item-lists/`): the variant's result with its lists'
 * items to splice in, or, when the variant had errors or a list the writer does not take, the operation's own result,
 * which is the one Apollo must get if it is to answer.
 */
async function execute(
  operation: KnownOperation,
  context: GatewayContext,
  variables: Record<string, unknown> | undefined,
): Promise<{ result: ExecutionResult; splices?: ItemSplices }> {
  const spliced = operation.spliced;
  if (spliced !== undefined) {
    const result = await spliced.compiled.query(undefined, context, variables);
    if ((result.errors === undefined || result.errors.length === 0) && isRecord(result.data)) {
      const splices = spliced.fill(result.data, context.record.served, context.catalog);
      if (splices !== undefined) return { result, splices };
    }
  }
  return { result: await operation.compiled.query(undefined, context, variables) };
}

// Private: what Apollo's HTTP layer checks before it would run a POST or a GET, narrowed to the cases it accepts.

/**
 * A JSON POST of a query text, or of an automatic persisted query's hash alone (`extensions.persistedQuery`, version
 * 1, no `query`). A hash with the text is Apollo's: it checks the two agree and registers the text.
 */
function plainPostRequest(contentType: string | undefined, body: unknown): PlainRequest | undefined {
  if (!isJson(contentType) || !isRecord(body)) return undefined;
  const { query, variables, operationName } = body;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  const extensions = body.extensions === null ? undefined : body.extensions;
  return plainRequest(query, extensions, operationName, variables);
}

/**
 * A GET as urql, graphql-request, curl, a CDN or an APQ link sends it: no content type, and only `query`,
 * `operationName`, `variables` (a JSON object) and `extensions` (a JSON object) as single parameters. Anything else
 * (a repeated parameter, variables or extensions that are not a JSON object) is Apollo's to answer or refuse. A
 * mutation never gets here: only query operations are known.
 */
function plainGetRequest(contentType: string | undefined, search: unknown): PlainRequest | undefined {
  if (contentType !== undefined || !isRecord(search)) return undefined;
  if (Object.keys(search).some((key) => !GET_PARAMETERS.has(key))) return undefined;
  const { query, operationName } = search;
  if (operationName !== undefined && typeof operationName !== 'string') return undefined;
  const variables = jsonObjectParameter(search.variables);
  const extensions = jsonObjectParameter(search.extensions);
  if (variables === null || extensions === null) return undefined;
  return plainRequest(query, extensions, operationName, variables);
}

const GET_PARAMETERS = new Set(['query', 'operationName', 'variables', 'extensions']);

/** The request when its query and extensions are of a kind the fast path takes (see `persistedQueryHash`). */
function plainRequest(
  query: unknown,
  extensions: unknown,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): PlainRequest | undefined {
  const sha256Hash = persistedQueryHash(extensions);
  if (sha256Hash === null) return undefined;
  if (sha256Hash !== undefined) return query === undefined ? { sha256Hash, operationName, variables } : undefined;
  return typeof query === 'string' ? { query, operationName, variables } : undefined;
}

/** A single parameter holding a JSON object: undefined when absent, null when it is anything else. */
function jsonObjectParameter(value: unknown): Record<string, unknown> | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  return isRecord(parsed) ? parsed : null;
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return essence === 'application/json';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * The extensions the fast path takes: none; Apollo Client 4's `clientLibrary` (its name and version, sent with every
 * operation by default, read by Apollo Server only for usage reporting, which the gateway does not run); an
 * automatic persisted query of version 1 with a string hash; or both. Returns the hash, undefined without one, or
 * null for any other extensions (Apollo's to answer or refuse).
 */
function persistedQueryHash(extensions: unknown): string | undefined | null {
  if (extensions === undefined) return undefined;
  if (!isRecord(extensions)) return null;
  const keys = Object.keys(extensions);
  if (keys.length === 0 || !keys.every((key) => EXTENSIONS.has(key))) return null;
  if (!('persistedQuery' in extensions)) return undefined;
  const persisted = extensions.persistedQuery;
  if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') return null;
  return persisted.sha256Hash;
}

const EXTENSIONS = new Set(['clientLibrary', 'persistedQuery']);
