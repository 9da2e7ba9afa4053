import Fastify, { LogController } from 'fastify';
import { GraphQLError } from 'graphql';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import type { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { GatewayContext } from '../graphql/context.js';
import type { FastPath } from '../graphql/fast-path.js';
import { noteRefusal } from '../graphql/request-record.js';
import type { RequestRecord } from '../graphql/request-record.js';
import { refuseBatch, refusalMediaType, requestError } from './batch-refusal.js';
import { registerCompression } from './compression.js';
import { registerLoopbackHostGuard } from './loopback-host-guard.js';
import { refusalHeaders } from './refusal-headers.js';
import { IDE_OFF_MESSAGE, registerIde, wantsIde } from './ide.js';
import type { IdeSettings } from './ide.js';
import { untrustedQueryText } from '../graphql/trusted-documents.js';
import type { TrustedDocuments } from '../graphql/trusted-documents.js';
import { QueryNotInSafelistError } from '../errors.js';
import { asGraphQLError } from '../graphql/error-mapping.js';
import { errorCodeLabel } from '../graphql/response/operation-metrics.js';
import type { Readiness } from './readiness.js';
import { REQUEST_ID_HEADER, recordOf, registerRequestLog, requestIdOf } from './request-log.js';
import { closeConnectionsWhenClosing } from './shutdown.js';
import { TurnGate } from './turn-gate.js';
import { registerRequestMetrics } from './request-metrics.js';
import type { RequestMetrics } from '../telemetry/request-metrics.js';
import { registerServerSpans } from '../telemetry/tracing/server-spans.js';
import type { ServerSpanOptions } from '../telemetry/tracing/server-spans.js';

export interface HttpServerOptions {
  readonly apollo: ApolloServer<GatewayContext>;
  /** Builds a request's GraphQL context; `record` is where the request notes what it served, for its log line. */
  readonly context: (request: FastifyRequest, record: RequestRecord) => Promise<GatewayContext>;
  readonly readiness: Readiness;
  readonly logger: FastifyBaseLogger;
  /** The Prometheus exposition for `/metrics`. */
  readonly metrics: { readonly contentType: string; render(): Promise<string> };
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit: number;
  /** Origins allowed cross-origin (CORS); empty registers no CORS handling at all. */
  readonly corsOrigins: readonly string[];
  /** Answers known query documents without Apollo's pipeline (graphql/fast-path.ts); absent, Apollo answers all. */
  readonly fastPath?: FastPath;
  /** The GraphiQL IDE (GRAPHQL_IDE) and what its page must know; absent, a browser's GET of the IDE is a 404. */
  readonly ide?: IdeSettings;
  /** Answers at least this many bytes long are compressed when the client accepts it (compression.ts). */
  readonly compressionMinBytes: number;
  /** TRUSTED_DOCUMENTS_ONLY=true: any other full-text document is refused here, before it is parsed. */
  readonly trustedOnly?: TrustedDocuments;
  /** Request duration and error codes of GraphQL requests (`request-metrics.ts`). */
  readonly requestMetrics?: RequestMetrics;
  /** With tracing on: a span and an async context per request. Absent, no hook is added at all. */
  readonly requestContext?: Pick<ServerSpanOptions, 'tracer'>;
  /**
   * Authentication off and bound to loopback: every request whose `Host` is not a loopback name is refused
   * (`loopback-host-guard.ts`), against DNS rebinding.
   */
  readonly loopbackHostsOnly?: boolean;
}

export const GRAPHQL_PATH = '/graphql';

/**
 * The HTTP surface: `/graphql` (POST and GET for GraphQL clients, GET from a browser for the IDE), `/healthz`
 * (the process is up), `/readyz` (ready to serve, with the store's and the model's state; see `readiness.ts`) and
 * `/metrics` (Prometheus). Every request gets an id (`x-request-id`) and one log line (`request-log.ts`). Fastify
 * over Node's http: it adds body limits, routing and a clean close, and measured at parity with Apollo's
 * standalone server.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    // One structured line per request is written by our own hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
  });
  registerRequestLog(app, { quietPaths: ['/healthz', '/readyz', '/metrics'] });
  // First after the log line: a refused Host gets no span, CORS answer or compression, and reaches no route.
  if (options.loopbackHostsOnly === true) registerLoopbackHostGuard(app, GRAPHQL_PATH);
  if (options.requestContext !== undefined) {
    registerServerSpans(app, { tracer: options.requestContext.tracer, skipPaths: ['/healthz', '/readyz', '/metrics'] });
  }
  if (options.requestMetrics !== undefined) registerRequestMetrics(app, options.requestMetrics, GRAPHQL_PATH);
  closeConnectionsWhenClosing(app);
  // Before any route: the compression plugin attaches itself to each route as the route is declared.
  await registerCompression(app, { minBytes: options.compressionMinBytes });
  if (options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ['GET', 'POST'],
      // Without this a browser script cannot read the freshness headers, which are not CORS-safelisted.
      exposedHeaders: ['cache-status', 'age', REQUEST_ID_HEADER, 'retry-after', 'www-authenticate'],
      maxAge: 600,
    });
  }
  const ide = options.ide === undefined ? undefined : await registerIde(app, options.ide);
  // One context per request, whoever asks first: the fast path and Apollo must share it (the fast path hands its
  // result over to Apollo through the request record it holds), and it must be built, and a bad token refused, once.
  const contexts = new WeakMap<FastifyRequest, Promise<GatewayContext>>();
  const contextOf = (request: FastifyRequest): Promise<GatewayContext> => {
    let context = contexts.get(request);
    if (context === undefined) {
      context = options.context(request, recordOf(request));
      contexts.set(request, context);
    }
    return context;
  };
  const graphql = fastifyApolloHandler(options.apollo, {
    // A refused token: Apollo answers 401, and the reply carries the challenge (refusal-headers.ts). The fast path
    // passes such requests to Apollo, so this covers them too, and adds nothing to the fast path's own answers.
    context: (request, reply) =>
      contextOf(request).catch((caught: unknown) => {
        const error = asGraphQLError(caught);
        for (const [name, value] of refusalHeaders(error, request.headers.authorization))
          void reply.header(name, value);
        // Apollo answers a failed context without running the plugins that would note the code.
        noteRefusal(recordOf(request), error instanceof GraphQLError ? errorCodeLabel(error) : 'none');
        throw error;
      }),
  });
  const fastPath = options.fastPath;
  const trustedOnly = options.trustedOnly;
  // The refusal as Apollo would format it: one error, no `data` (a request error).
  const refusal = new QueryNotInSafelistError();
  const safelistCode = refusal.extensions.code;
  const safelistRefusal = JSON.stringify(requestError(refusal.message, safelistCode));

  // The fast path's requests run together with the others of their event-loop turn (turn-gate.ts).
  const turn = new TurnGate();
  app.route({
    method: ['GET', 'POST'],
    url: GRAPHQL_PATH,
    handler: async function (request, reply) {
      if (request.method === 'GET' && wantsIde(request.headers.accept)) {
        if (ide === undefined) return reply.code(404).type('text/plain; charset=utf-8').send(IDE_OFF_MESSAGE);
        return reply.type('text/html; charset=utf-8').header('content-security-policy', ide.csp).send(ide.page);
      }
      if (request.method === 'POST' && Array.isArray(request.body)) {
        const refusal = refuseBatch(request.body.length, request.headers.accept);
        noteRefusal(recordOf(request), refusal.code);
        return reply
          .code(refusal.status)
          .header('cache-control', 'no-store')
          .type(refusal.contentType)
          .send(refusal.body);
      }
      if (
        trustedOnly !== undefined &&
        untrustedQueryText(trustedOnly, request.method, request.body, request.query) !== undefined
      ) {
        noteRefusal(recordOf(request), safelistCode);
        return reply
          .code(400)
          .type(refusalMediaType(request.headers.accept))
          .header('cache-control', 'no-store')
          .send(`${safelistRefusal}\n`);
      }
      if (fastPath !== undefined && (request.method === 'POST' || request.method === 'GET')) {
        await turn.wait();
        const answer = await fastPath.serve({
          method: request.method,
          contentType: request.headers['content-type'],
          accept: request.headers.accept,
          body: request.method === 'GET' ? request.query : request.body,
          context: () => contextOf(request),
        });
        if (answer !== undefined) {
          for (const [name, value] of answer.headers) void reply.header(name, value);
          return reply.code(200).send(answer.body);
        }
      }
      return graphql.call(this, request, reply);
    },
  });

  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.contentType).send(await options.metrics.render()),
  );
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await options.readiness.check();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  return app;
}
