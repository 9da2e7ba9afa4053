/**
 * `recs_graphql_operations_total{operation,outcome}` over real HTTP, and the cap on operation names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, postGraphQL } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { scrape, sumOf } from '../support/prometheus.js';
import { READ_QUERY } from '../gateway/helpers.js';
import { outcomeOf } from '../../src/graphql/response/operation-metrics.js';

const METRIC = 'recs_graphql_operations_total';

describe('GraphQL operations by name and outcome', () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('counts a named operation as success, an anonymous one as anonymous', async () => {
    const before = await scrape(gateway.origin);
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'ops-1' });
    await postGraphQL(gateway.url, READ_QUERY, { userId: 'ops-2' });
    await postGraphQL(gateway.url, '{ recommendations(userId: "ops-3") { userId } }');
    const after = await scrape(gateway.origin);
    const delta = (labels: Record<string, string>) => sumOf(after, METRIC, labels) - sumOf(before, METRIC, labels);
    expect(delta({ operation: 'Read', outcome: 'success' })).toBe(2);
    expect(delta({ operation: 'anonymous', outcome: 'success' })).toBe(1);
  });

  it('a field error that nulls the data is an error; a request that never executes is rejected', async () => {
    const before = await scrape(gateway.origin);
    // An id with a brace is refused by the resolver: the non-null root field takes `data` down to null.
    const failed = await postGraphQL(gateway.url, 'query BadId { recommendations(userId: "a{b") { userId } }');
    expect(failed.body.data).toBeNull();
    const unparsable = await postGraphQL(gateway.url, 'query Nope { recommendations(');
    expect(unparsable.status).toBe(400);
    const invalid = await postGraphQL(gateway.url, 'query Invalid { noSuchField }');
    expect(invalid.status).toBe(400);
    const after = await scrape(gateway.origin);
    const delta = (labels: Record<string, string>) => sumOf(after, METRIC, labels) - sumOf(before, METRIC, labels);
    expect(delta({ operation: 'BadId', outcome: 'error' })).toBe(1);
    // A parse failure has no operation to name; a validation failure neither (it never resolves).
    expect(delta({ operation: 'unresolved', outcome: 'rejected' })).toBe(2);
  });

  it('keeps at most 50 distinct operation names; the rest fold into "other"', async () => {
    for (let index = 0; index < 60; index++) {
      const response = await postGraphQL(gateway.url, `query Flood${index} { __typename }`);
      expect(response.status).toBe(200);
    }
    const samples = (await scrape(gateway.origin)).filter((sample) => sample.name === METRIC);
    const names = new Set(samples.map((sample) => sample.labels.operation));
    expect(names.size).toBeLessThanOrEqual(51);
    expect(names.has('other')).toBe(true);
    expect(sumOf(samples, METRIC, { operation: 'other' })).toBeGreaterThanOrEqual(10);
    // Names seen before the cap was reached keep their own series.
    expect(names.has('Read')).toBe(true);
    expect(names.has('Flood59')).toBe(false);
  });
});

describe('outcomeOf (GraphQL-over-HTTP terms)', () => {
  const error = { message: 'boom' };
  it('tells success, partial, error and rejected apart', () => {
    expect(outcomeOf({ data: { a: 1 } })).toBe('success');
    expect(outcomeOf({ data: { a: null }, errors: [error] })).toBe('partial');
    expect(outcomeOf({ data: null, errors: [error] })).toBe('error');
    expect(outcomeOf({ errors: [error] })).toBe('rejected');
  });
});
