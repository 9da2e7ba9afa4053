/**
 * One trace across the gateway and the model service: a real gateway process and a real model-server process, both
 * exporting over OTLP/HTTP (JSON) to a receiver this test runs. The caller's W3C `traceparent` is continued, the
 * model call carries it (and `x-request-id`) to the model service, and the spans nest request → operation → cache /
 * model → HTTP client → model server. The fast path and Apollo produce the same spans.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { startModelServerProcess } from '../support/model-server.js';
import type { ModelServerProcess } from '../support/model-server.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import type { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver.js';
import { parseSamples } from '../support/prometheus.js';
import { READ_QUERY } from '../gateway/helpers.js';

const SERVER = 2;
const CLIENT = 3;
const PROCESS_TEST_TIMEOUT_MS = 90_000;

function otelEnv(receiver: OtlpReceiver): Record<string, string> {
  // A short batch delay, so the spans arrive within the test's patience.
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

function traceparent(): { header: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

/** The spans of one trace as a tree of `service:name` lines, children sorted: the shape, without ids or timing. */
function shapeOf(spans: readonly ReceivedSpan[], rootParent: string): string[] {
  const lines: string[] = [];
  const visit = (parent: string, depth: number) => {
    const children = spans.filter((span) => span.parentSpanId === parent).sort((a, b) => a.name.localeCompare(b.name));
    for (const child of children) {
      lines.push(`${'  '.repeat(depth)}${child.service}:${child.name}`);
      visit(child.spanId, depth + 1);
    }
  };
  visit(rootParent, 0);
  return lines;
}

function one(spans: readonly ReceivedSpan[], service: string, name: string): ReceivedSpan {
  const found = spans.filter((span) => span.service === service && span.name === name);
  expect(
    found.map((span) => span.name),
    `${service}:${name} among ${spans.map((span) => `${span.service}:${span.name}`).join(', ')}`,
  ).toHaveLength(1);
  return found[0] as ReceivedSpan;
}

describe('tracing across the gateway and the model service (real processes, real OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let model: ModelServerProcess;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    model = await startModelServerProcess({ version: 'v7', env: otelEnv(receiver) });
    gateway = await startGatewayProcess({
      MODEL_URL: model.url,
      MODEL_VERSION_POLL_SECONDS: '0',
      LOG_LEVEL: 'warn',
      ...otelEnv(receiver),
    });
  }, PROCESS_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await gateway?.stop('SIGTERM');
    await model?.stop();
    await receiver?.close();
  });

  it(
    'continues the caller trace into the model service, with nested spans and the request id passed on',
    async () => {
      const caller = traceparent();
      const read = await postGraphQL(
        gateway.url,
        READ_QUERY,
        { userId: 'trace-user-1', first: 3 },
        { traceparent: caller.header, 'x-request-id': 'trace-req-1' },
      );
      expect(read.body.errors).toBeUndefined();

      const inTrace = (spans: readonly ReceivedSpan[]) => spans.filter((span) => span.traceId === caller.traceId);
      const spans = inTrace(
        await receiver.waitFor((all) => {
          const names = inTrace(all).map((span) => `${span.service}:${span.name}`);
          return (
            names.includes('recs-gateway:POST /graphql') &&
            names.includes('recs-model-server:POST /v1/rank') &&
            names.includes('recs-gateway:cache write')
          );
        }),
      );

      const request = one(spans, 'recs-gateway', 'POST /graphql');
      expect(request.kind).toBe(SERVER);
      expect(request.parentSpanId).toBe(caller.spanId);
      expect(request.attributes).toMatchObject({
        'http.route': '/graphql',
        'http.response.status_code': 200,
        'recs.request_id': 'trace-req-1',
      });

      const operation = one(spans, 'recs-gateway', 'query');
      expect(operation.parentSpanId).toBe(request.spanId);
      expect(operation.attributes).toMatchObject({
        'graphql.operation.type': 'query',
        'graphql.operation.name': 'Read',
        'recs.outcome': 'success',
        'recs.cache.miss': 1,
        'recs.cache.hit': 0,
        'recs.model_version': ['v7'],
      });

      const cacheRead = one(spans, 'recs-gateway', 'cache read');
      expect(cacheRead.parentSpanId).toBe(operation.spanId);
      expect(cacheRead.attributes).toMatchObject({ 'recs.cache.users': 1, 'recs.cache.absent': 1 });

      const modelCall = one(spans, 'recs-gateway', 'model rank');
      expect(modelCall.parentSpanId).toBe(operation.spanId);
      expect(modelCall.attributes).toMatchObject({ 'recs.model.batch_size': 1, 'recs.model_version': ['v7'] });

      const client = one(spans, 'recs-gateway', 'POST /v1/rank');
      expect(client.kind).toBe(CLIENT);
      expect(client.parentSpanId).toBe(modelCall.spanId);

      const modelServer = one(spans, 'recs-model-server', 'POST /v1/rank');
      expect(modelServer.kind).toBe(SERVER);
      expect(modelServer.parentSpanId).toBe(client.spanId);
      // The gateway's request id reached the model service, which took it as its own.
      expect(modelServer.attributes).toMatchObject({
        'recs.request_id': 'trace-req-1',
        'recs.model.batch_size': 1,
        'recs.model_version': 'v7',
      });
      expect(one(spans, 'recs-model-server', 'model score').parentSpanId).toBe(modelServer.spanId);

      expect(one(spans, 'recs-gateway', 'cache write').parentSpanId).toBe(operation.spanId);
      // No user id in any span name.
      for (const span of spans) expect(span.name).not.toContain('trace-user-1');
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'the fast path and Apollo produce the same spans and the same metrics; a hit says so',
    async () => {
      // The first request of a document is Apollo's; the same document again is the fast path's.
      const traces = [traceparent(), traceparent(), traceparent()];
      const users = ['same-shape-1', 'same-shape-2', 'same-shape-1'];
      const before = parseSamples(await (await fetch(`${gateway.origin}/metrics`)).text());
      const query = `query Shape($userId: ID!) { recommendations(userId: $userId, first: 2) { userId source } }`;
      for (const [index, trace] of traces.entries()) {
        const read = await postGraphQL(gateway.url, query, { userId: users[index] }, { traceparent: trace.header });
        expect(read.body.errors).toBeUndefined();
      }
      const all = await receiver.waitFor((spans) =>
        traces.every((trace) => spans.some((span) => span.traceId === trace.traceId && span.name === 'POST /graphql')),
      );
      const [apollo, fast, hit] = traces.map((trace) => all.filter((span) => span.traceId === trace.traceId));
      const operations = [apollo, fast, hit].map((spans) => one(spans ?? [], 'recs-gateway', 'query'));
      expect(operations.map((operation) => operation.attributes['recs.fast_path'])).toEqual([false, true, true]);
      // Both misses have the same tree; the model service's spans may arrive a little later, so compare the gateway's.
      const gatewayOnly = (spans: readonly ReceivedSpan[] | undefined) =>
        (spans ?? []).filter((span) => span.service === 'recs-gateway');
      expect(shapeOf(gatewayOnly(fast), traces[1]?.spanId ?? '')).toEqual(
        shapeOf(gatewayOnly(apollo), traces[0]?.spanId ?? ''),
      );
      expect(shapeOf(gatewayOnly(apollo), traces[0]?.spanId ?? '')).toEqual([
        'recs-gateway:POST /graphql',
        '  recs-gateway:query',
        '    recs-gateway:cache lease',
        '    recs-gateway:cache read',
        '    recs-gateway:cache write',
        '    recs-gateway:model rank',
        '      recs-gateway:POST /v1/rank',
      ]);
      expect(operations[2]?.attributes).toMatchObject({
        'recs.cache.hit': 1,
        'recs.cache.miss': 0,
        'recs.model_version': ['v7'],
      });
      // A hit is the request, the operation and one cache read: nothing per field.
      expect(shapeOf(gatewayOnly(hit), traces[2]?.spanId ?? '')).toEqual([
        'recs-gateway:POST /graphql',
        '  recs-gateway:query',
        '    recs-gateway:cache read',
      ]);

      const after = parseSamples(await (await fetch(`${gateway.origin}/metrics`)).text());
      const count = (samples: typeof after, name: string, labels: Record<string, string>) =>
        samples
          .filter(
            (sample) =>
              sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
          )
          .reduce((sum, sample) => sum + sample.value, 0);
      const successes = (samples: typeof after) =>
        count(samples, 'recs_graphql_request_duration_seconds_count', { operation_type: 'query', outcome: 'success' });
      expect(successes(after) - successes(before)).toBe(3);
      expect(
        count(after, 'recs_graphql_fast_path_total', { outcome: 'served' }) -
          count(before, 'recs_graphql_fast_path_total', { outcome: 'served' }),
      ).toBe(2);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
