import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withRequest } from './request-context.js';

export interface ServerSpanOptions {
  readonly tracer: Tracer;
  /** Probes and scrapes: no span, no context. */
  readonly skipPaths: readonly string[];
}

interface RequestTrace {
  readonly context: Context;
  readonly span: Span;
}

/**
 * One SERVER span per HTTP request, continuing the caller's trace when it sent a W3C `traceparent`, and the request's
 * context (`request-context.ts`) around its handler, so everything the handler awaits (GraphQL, cache, model) runs in
 * it. The span is named after the route (`POST /graphql`), never the URL: no user id ends up in a span name.
 *
 * The context is entered in `preHandler`, not `onRequest`: Fastify parses the body from the socket's events, which
 * do not keep the context entered before them, while `preHandler`'s callback runs the handler synchronously.
 */
export function registerServerSpans(app: FastifyInstance, options: ServerSpanOptions): void {
  const traces = new WeakMap<FastifyRequest, RequestTrace>();
  const { tracer, skipPaths } = options;

  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && skipPaths.includes(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': route ?? 'unmatched',
          ...(route === undefined ? {} : { 'http.route': route }),
          'recs.request_id': request.id,
        },
      },
      parent,
    );
    traces.set(request, { context: withRequest(trace.setSpan(parent, span), request.id), span });
    done();
  });

  app.addHook('preHandler', (request, _reply, done) => {
    const found = traces.get(request);
    if (found === undefined) return done();
    context.with(found.context, done);
  });

  const end = (request: FastifyRequest, status: number | undefined): void => {
    const found = traces.get(request);
    if (found === undefined) return;
    traces.delete(request);
    if (status === undefined) {
      found.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
    } else {
      found.span.setAttribute('http.response.status_code', status);
      // OpenTelemetry's HTTP conventions: a server span is an error for 5xx only; a 4xx is the caller's.
      if (status >= 500) found.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    found.span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, undefined);
    done();
  });
}
