/**
 * With tracing off (no OTEL_* variables), the request id still reaches the model service, and no trace header is
 * invented: a real in-process gateway calling a real model server whose hook records what arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';
import { READ_QUERY } from '../gateway/helpers.js';

describe('x-request-id to the model service, tracing off', () => {
  let model: InProcessModelServer;
  let gateway: InProcessGateway;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    model = await startModelServer({ version: 'v3' });
    model.fault((request) => {
      if (request.url === '/v1/rank') seen.push(request.headers);
      return undefined;
    });
    gateway = await startGateway({ MODEL_URL: model.url, MODEL_VERSION_POLL_SECONDS: '0' });
  });

  afterAll(async () => {
    await gateway?.close();
    await model?.close();
  });

  it('forwards the caller id, or the id the gateway gave the request, on each model call', async () => {
    const first = await postGraphQL(gateway.url, READ_QUERY, { userId: 'rid-1' }, { 'x-request-id': 'caller-id-42' });
    expect(first.body.errors).toBeUndefined();
    const second = await postGraphQL(gateway.url, READ_QUERY, { userId: 'rid-2' });
    expect(second.body.errors).toBeUndefined();
    const generated = second.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    expect(seen.map((headers) => headers['x-request-id'])).toEqual(['caller-id-42', generated]);
    for (const headers of seen) expect(headers.traceparent).toBeUndefined();
  });
});
