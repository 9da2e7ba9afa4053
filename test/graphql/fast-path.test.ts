/**
 * The fast path inside a real gateway, over real HTTP: it answers a document only once Apollo has accepted it; a
 * request it runs with errors is answered by Apollo without running twice; mutations are never its; and with
 * GRAPHQL_FAST_PATH=false or the graphql-js executor, Apollo answers everything. Response equality with Apollo is
 * executor-parity.test.ts's job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, postGraphQL, startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { CountingModel, PartlyBrokenModel } from '../support/models.js';
import { PURCHASE_MUTATION } from '../gateway/helpers.js';

/** A read query of its own per test (the text is the key), so each test starts with an unknown document. */
function readQuery(tag: string): string {
  return `query Read${tag}($userId: ID!) { recommendations(userId: $userId, first: 3) { userId source items { rank item { id } } } }`;
}

/** What the fast path did with the requests `send` makes. */
async function outcomeOf(gateway: InProcessGateway, send: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await fastPathOutcomes(gateway);
  await send();
  const after = await fastPathOutcomes(gateway);
  return {
    served: after.served - before.served,
    handed_over: after.handed_over - before.handed_over,
    passed: after.passed - before.passed,
  };
}

describe('fast path (development gateway, memory store)', () => {
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    model = new CountingModel(new PartlyBrokenModel());
    gateway = await startGateway({ MODEL_WORKERS: '0' }, { model });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('leaves a document to Apollo the first time, then answers it itself, with the same response', async () => {
    const query = readQuery('First');
    await postGraphQL(gateway.url, query, { userId: 'fp-1' });
    let viaApollo: Awaited<ReturnType<typeof postGraphQL>> | undefined;
    let viaFastPath: Awaited<ReturnType<typeof postGraphQL>> | undefined;
    // Both reads are hits of the same list; only the route differs.
    expect(
      await outcomeOf(
        gateway,
        async () => (viaApollo = await postGraphQL(gateway.url, readQuery('Other'), { userId: 'fp-1' })),
      ),
    ).toEqual({ served: 0, handed_over: 0, passed: 1 });
    expect(
      await outcomeOf(gateway, async () => (viaFastPath = await postGraphQL(gateway.url, query, { userId: 'fp-1' }))),
    ).toEqual({ served: 1, handed_over: 0, passed: 0 });
    expect(viaFastPath?.status).toBe(200);
    expect(viaFastPath?.body.data).toEqual(viaApollo?.body.data);
    expect(viaFastPath?.headers.get('cache-status')).toMatch(/^recs-gateway; hit; ttl=\d+$/);
    expect(viaFastPath?.headers.get('x-request-id')).toMatch(/.+/);
    expect((viaFastPath?.body.extensions?.recsCache as Array<{ source: string }>)[0]?.source).toBe('CACHE');
  });

  it('runs a request with errors once and lets Apollo answer it with that result', async () => {
    const query = readQuery('Down');
    // First sight: Apollo runs it (one model call for the cold, failing user).
    let calls = model.calls;
    const first = await postGraphQL(gateway.url, query, { userId: 'down-1' });
    const callsViaApollo = model.calls - calls;
    expect(first.body.errors?.[0]?.extensions?.code).toBe('MODEL_UNAVAILABLE');
    expect(callsViaApollo).toBeGreaterThan(0);
    // Known now: the fast path runs it, meets the error and hands the result over; the model is not asked again.
    calls = model.calls;
    let second: Awaited<ReturnType<typeof postGraphQL>> | undefined;
    expect(
      await outcomeOf(gateway, async () => (second = await postGraphQL(gateway.url, query, { userId: 'down-2' }))),
    ).toEqual({ served: 0, handed_over: 1, passed: 0 });
    expect(model.calls - calls).toBe(callsViaApollo);
    expect(second?.body.errors?.[0]?.extensions?.code).toBe('MODEL_UNAVAILABLE');
    expect(second?.body.errors?.[0]?.path).toEqual(['recommendations']);
    expect(second?.body.data).toBeNull();
  });

  it('never answers a mutation', async () => {
    const purchase = { userId: 'fp-buyer', itemId: 'i1', orderId: 'fp-order-1' };
    const outcome = await outcomeOf(gateway, async () => {
      await postGraphQL(gateway.url, PURCHASE_MUTATION, { input: purchase });
      await postGraphQL(gateway.url, PURCHASE_MUTATION, { input: { ...purchase, orderId: 'fp-order-2' } });
    });
    expect(outcome).toEqual({ served: 0, handed_over: 0, passed: 2 });
  });
});

for (const [label, env] of [
  ['GRAPHQL_FAST_PATH=false', { GRAPHQL_FAST_PATH: 'false' }],
  ['GRAPHQL_EXECUTOR=reference', { GRAPHQL_EXECUTOR: 'reference' }],
] as const) {
  describe(`without the fast path (${label})`, () => {
    let gateway: InProcessGateway;

    beforeAll(async () => {
      gateway = await startGateway({ MODEL_WORKERS: '0', ...env });
    });

    afterAll(async () => {
      await gateway?.close();
    });

    it('Apollo answers every request, the repeated ones too', async () => {
      const query = readQuery('Off');
      const responses = [];
      for (let index = 0; index < 3; index++)
        responses.push(await postGraphQL(gateway.url, query, { userId: 'fp-off' }));
      expect(responses.map((response) => (response.body.data?.recommendations as { source: string }).source)).toEqual([
        'MODEL',
        'CACHE',
        'CACHE',
      ]);
      expect(responses[2]?.headers.get('cache-status')).toMatch(/^recs-gateway; hit; ttl=\d+$/);
      expect(await fastPathOutcomes(gateway)).toEqual({ served: 0, handed_over: 0, passed: 0 });
    });
  });
}
