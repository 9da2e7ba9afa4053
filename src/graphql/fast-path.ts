import type { ExecutionResult } from 'graphql';
import type { Telemetry } from '../telemetry/events.js';
import type { OperationTracing } from '../telemetry/tracing/operation-spans.js';
import type { GatewayContext } from './context.js';
import type { KnownOperations } from './known-operations.js';
import { setCacheHeaders, withCacheSignals } from './plugins/cache-signals/index.js';
import { NO_STORE } from './plugins/no-store/index.js';
import { ANONYMOUS_OPERATION, noteOperation } from './plugins/operation-metrics/index.js';
import type { MediaTypeChooser } from './plugins/response-media-type/index.js';

/** A POST or GET to `/graphql`, as the fast path needs it. */
export interface FastPathRequest {
  /** POST when left out. */
  readonly method?: 'POST' | 'GET';
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /** The parsed JSON body of a POST; for a GET, the parsed query string (`query`, `variables`, `operationName`). */
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
   * or is not a plain JSON POST of a known query (passed untouched).
   */
  serve(request: FastPathRequest): Promise<FastPathResponse | undefined>;
}

export interface FastPathOptions {
  readonly known: KnownOperations;
  readonly chooseMediaType: MediaTypeChooser;
  readonly telemetry: Pick<Telemetry, 'graphqlOperation' | 'fastPath'>;
  /** The cache's name in `Cache-Status` (as given to the cache-signals plugin). */
  readonly cacheName: string;
  /** The operation span, with tracing on (the same one Apollo's operation-tracing plugin drives). */
  readonly tracing?: OperationTracing;
}

interface PlainBody {
  readonly query: string;
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
 * name Apollo has parsed, validated and executed before (`KnownOperations`), with no `extensions` but Apollo
 * Client's `clientLibrary` (persisted queries stay Apollo's), and then runs the very function Apollo's executor runs
 * for it (`jit-executor.ts`). The response is the one Apollo would send for a result without errors, built by the same
 * code the plugins use: the negotiated `Content-Type`, `Cache-Control: no-store`, `Cache-Status` and `Age`,
 * `extensions.recsCache`, the operation counted and noted for the request log.
 *
 * Anything with errors is Apollo's to answer: the result is handed over under the request's record (which Apollo's
 * copy of the context shares), and Apollo's executor answers with it instead of running the operation again; its
 * error formatting, status codes, masking and logging apply unchanged. test/graphql/executor-parity.test.ts
 * compares every response with graphql-js's.
 */
export function createFastPath(options: FastPathOptions): FastPath {
  const { known, chooseMediaType, telemetry, cacheName, tracing } = options;

  const passed = (): undefined => {
    telemetry.fastPath('passed');
    return undefined;
  };

  return {
    async serve(request) {
      const body =
        request.method === 'GET'
          ? plainGetBody(request.contentType, request.body)
          : plainPostBody(request.contentType, request.body);
      if (body === undefined) return passed();
      const mediaType = chooseMediaType(request.accept);
      if (mediaType === null) return passed();
      const operation = known.find(body.query, body.operationName);
      if (operation === undefined) return passed();
      let context: GatewayContext;
      try {
        context = await request.context();
      } catch {
        // Refused while building the context (e.g. no valid token): Apollo reports the same error.
        return passed();
      }
      tracing?.begin();
      let result: ExecutionResult;
      try {
        result = await operation.compiled.query(undefined, context, body.variables ?? undefined);
      } catch {
        // graphql-jit reports resolver errors in the result; a throw is its own failure, which Apollo's executor
        // meets again and reports as an internal error.
        return passed();
      }
      if (result.errors !== undefined && result.errors.length > 0) {
        // Keyed by the request's record: Apollo executes with a shallow copy of the context, which keeps it.
        known.handOver(context.record, result);
        telemetry.fastPath('handed_over');
        return undefined;
      }
      const served = context.record.served;
      // Only queries become known operations.
      context.record.operationType = 'query';
      noteOperation(telemetry, context.record, operation.operationName ?? ANONYMOUS_OPERATION, 'success');
      tracing?.end({
        type: 'query',
        name: operation.operationName ?? undefined,
        outcome: 'success',
        errorCodes: [],
        fastPath: true,
      });
      // In the order Apollo's plugins set them: no-store, response-media-type, then cache-signals.
      const headers: Array<readonly [string, string]> = [
        ['cache-control', NO_STORE],
        ['content-type', mediaType],
      ];
      setCacheHeaders({ set: (name: string, value: string) => headers.push([name, value]) }, cacheName, served);
      // Apollo's serialisation: `errors`, `data`, `extensions` in that order (undefined ones left out), then a newline.
      const extensions = withCacheSignals(result.extensions, served);
      telemetry.fastPath('served');
      return { headers, body: `${JSON.stringify({ data: result.data, extensions })}\n` };
    },
  };
}

// Private: what Apollo's HTTP layer checks before it would run a POST or a GET, narrowed to the cases it accepts.

function plainPostBody(contentType: string | undefined, body: unknown): PlainBody | undefined {
  return isJson(contentType) && isPlainBody(body) ? body : undefined;
}

/**
 * A GET as urql, graphql-request, curl or a CDN sends it: no content type, and only `query`, `operationName` and
 * `variables` (a JSON object) as single parameters. Anything else (an `extensions` parameter, i.e. a persisted
 * query; a repeated parameter; variables that are not a JSON object) is Apollo's to answer or refuse. A mutation
 * never gets here: only query operations are known.
 */
function plainGetBody(contentType: string | undefined, search: unknown): PlainBody | undefined {
  if (contentType !== undefined || !isRecord(search)) return undefined;
  const { query, operationName, variables } = search;
  if (typeof query !== 'string' || Object.keys(search).some((key) => !GET_PARAMETERS.has(key))) return undefined;
  if (operationName !== undefined && typeof operationName !== 'string') return undefined;
  let parsed: unknown;
  if (variables !== undefined) {
    if (typeof variables !== 'string') return undefined;
    try {
      parsed = JSON.parse(variables);
    } catch {
      return undefined;
    }
    if (!isRecord(parsed)) return undefined;
  }
  return { query, operationName, variables: parsed as Record<string, unknown> | undefined };
}

const GET_PARAMETERS = new Set(['query', 'operationName', 'variables']);

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
 * Apollo Client 4 sends `extensions.clientLibrary` (its name and version) with every operation by default. Apollo
 * Server reads it only for usage reporting, which the gateway does not run, so it changes no answer; any other
 * extension (a persisted query above all) stays Apollo's.
 */
function isClientAwareness(extensions: unknown): boolean {
  if (!isRecord(extensions)) return false;
  const keys = Object.keys(extensions);
  return keys.length > 0 && keys.every((key) => key === 'clientLibrary');
}

function isPlainBody(body: unknown): body is PlainBody {
  if (!isRecord(body) || typeof body.query !== 'string') return false;
  if (body.extensions !== undefined && body.extensions !== null && !isClientAwareness(body.extensions)) return false;
  const { variables, operationName } = body;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return false;
  return operationName === undefined || operationName === null || typeof operationName === 'string';
}
