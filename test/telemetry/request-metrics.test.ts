/**
 * `recs_graphql_request_duration_seconds{operation_type,outcome}`, `recs_graphql_errors_total{code}` and
 * `recs_build_info` over real HTTP: every GraphQL request counted once, whichever path answered it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { scrape, sumOf } from '../support/prometheus.js';
import type { Sample } from '../support/prometheus.js';
import { PURCHASE_MUTATION, READ_QUERY } from '../gateway/helpers.js';

const DURATION = 'recs_graphql_request_duration_seconds_count';
const ERRORS = 'recs_graphql_errors_total';

describe('request metrics', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  async function deltaOf(work: () => Promise<void>): Promise<(name: string, labels: Record<string, string>) => number> {
    const before = await scrape(gateway.origin);
    await work();
    const after: Sample[] = await scrape(gateway.origin);
    return (name, labels) => sumOf(after, name, labels) - sumOf(before, name, labels);
  }

  it('counts Apollo and fast-path answers alike, by operation type and outcome', async () => {
    const fastBefore = await fastPathOutcomes(gateway);
    const delta = await deltaOf(async () => {
      for (const userId of ['rm-1', 'rm-2', 'rm-3'])
        expect((await postGraphQL(gateway.url, READ_QUERY, { userId })).body.errors).toBeUndefined();
      const bought = await postGraphQL(gateway.url, PURCHASE_MUTATION, {
        input: { userId: 'rm-1', itemId: 'i3', orderId: 'rm-order-1' },
      });
      expect(bought.body.errors).toBeUndefined();
    });
    const fastAfter = await fastPathOutcomes(gateway);
    // At least two of the three reads were the fast path's; all three are counted the same.
    expect(fastAfter.served - fastBefore.served).toBeGreaterThanOrEqual(2);
    expect(delta(DURATION, { operation_type: 'query', outcome: 'success' })).toBe(3);
    expect(delta(DURATION, { operation_type: 'mutation', outcome: 'success' })).toBe(1);
    expect(delta(ERRORS, {})).toBe(0);
  });

  it('counts answers by error code, once per code per answer, and requests refused before GraphQL as none/rejected', async () => {
    const delta = await deltaOf(async () => {
      const badInput = await postGraphQL(gateway.url, READ_QUERY, { userId: 'rm-4', first: -1 });
      expect(badInput.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const invalid = await postGraphQL(gateway.url, 'query Invalid { noSuchField another: noSuchField }');
      expect(invalid.status).toBe(400);
      const notJson = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":',
      });
      expect(notJson.status).toBe(400);
      // The IDE page is not a GraphQL request.
      expect((await fetch(gateway.url, { headers: { accept: 'text/html' } })).status).toBe(200);
    });
    expect(delta(ERRORS, { code: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta(ERRORS, { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(
      delta(DURATION, { operation_type: 'query', outcome: 'error' }) +
        delta(DURATION, { operation_type: 'query', outcome: 'partial' }),
    ).toBe(1);
    expect(delta(DURATION, { operation_type: 'none', outcome: 'rejected' })).toBe(2);
    expect(delta(DURATION, {})).toBe(3);
  });

  it('exports the gateway, Node and active model versions as recs_build_info', async () => {
    const build = (await scrape(gateway.origin)).filter((sample) => sample.name === 'recs_build_info');
    expect(build).toHaveLength(1);
    expect(build[0]?.value).toBe(1);
    expect(build[0]?.labels).toEqual({ version: '0.1.0', node_version: process.version, model_version: 'v1' });
  });
});
