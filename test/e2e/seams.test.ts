/**
 * Where two features meet, against real gateways: work a request sets off for later (a shadow recompute, a held
 * purchase) runs outside that request, so neither its trace nor the model service's request log blames the request;
 * a purchase whose payload list would be refused records nothing, as for the list's permission.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { startModelServerProcess } from '../support/model-server.js';
import type { ModelServerProcess } from '../support/model-server.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { parseSamples } from '../support/prometheus.js';
import { startGateway } from '../support/gateway.js';
import { Cleanups, CountingModel } from '../gateway/helpers.js';
import { SECRET, gql, hsToken } from '../security/helpers.js';
import { waitFor } from '../support/wait.js';

const PROCESS_TEST_TIMEOUT_MS = 90_000;
const QUERY = 'query Seam($userId: ID!) { recommendations(userId: $userId, first: 2) { userId source } }';

describe('the freshness inspector with tracing and a remote model (real processes, real OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let model: ModelServerProcess;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    model = await startModelServerProcess({ version: 'v7', env });
    gateway = await startGatewayProcess({
      MODEL_URL: model.url,
      MODEL_VERSION_POLL_SECONDS: '0',
      LOG_LEVEL: 'warn',
      FRESHNESS_INSPECTOR_PER_SECOND: '100',
      ...env,
    });
  }, PROCESS_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await gateway?.stop('SIGTERM');
    await model?.stop();
    await receiver?.close();
  });

  it(
    "a sampled hit's trace holds only the hit: the shadow recompute is not a model call of that request",
    async () => {
      expect((await postGraphQL(gateway.url, QUERY, { userId: 'seam-shadow-1' })).body.errors).toBeUndefined();
      const traceId = randomBytes(16).toString('hex');
      const hit = await postGraphQL(
        gateway.url,
        QUERY,
        { userId: 'seam-shadow-1' },
        { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      );
      expect(hit.body.data?.recommendations).toEqual({ userId: 'seam-shadow-1', source: 'CACHE' });

      // The shadow recompute ran (its divergence is reported) and its spans were exported.
      const divergences = async () =>
        parseSamples(await (await fetch(`${gateway.origin}/metrics`)).text()).find(
          (sample) => sample.name === 'recs_served_divergence_count',
        )?.value ?? 0;
      await waitFor('the shadow recompute to be reported', async () => (await divergences()) >= 1, 10_000);
      const spans = await receiver.waitFor((all) => all.filter((span) => span.name === 'model rank').length >= 2);
      const requestId = spans.find((span) => span.traceId === traceId && span.name === 'POST /graphql')?.attributes[
        'recs.request_id'
      ];
      expect(requestId).toBeDefined();

      expect(
        spans
          .filter((span) => span.traceId === traceId)
          .map((span) => `${span.service}:${span.name}`)
          .sort(),
      ).toEqual(['recs-gateway:POST /graphql', 'recs-gateway:cache read', 'recs-gateway:query']);
      // Nor does the model service log the shadow call under the client's request id.
      expect(
        spans.filter(
          (span) => span.service === 'recs-model-server' && span.attributes['recs.request_id'] === requestId,
        ),
      ).toEqual([]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe('a purchase whose payload list asks for a `first` out of range', () => {
  const cleanups = new Cleanups();
  afterAll(async () => {
    await cleanups.run();
  });

  it('is refused before anything is recorded: a BAD_USER_INPUT answer never hides a recorded purchase', async () => {
    const model = CountingModel.builtin('v1');
    const gateway = await startGateway({ AUTH_JWT_SECRET: SECRET }, { model });
    cleanups.add(() => gateway.close());
    const token = await hsToken({ sub: 'seam-buyer', scope: 'purchases:write', issuer: '', audience: '' });
    const buy = (orderId: string, selection: string) =>
      `mutation Buy${selection.includes('$first') ? '($first: Int)' : ''} { recordPurchase(input: {userId: "seam-buyer", itemId: "i5", orderId: "${orderId}"}) { duplicate ${selection} } }`;
    const refusals: Array<[string, string, Record<string, unknown> | undefined]> = [
      ['seam-first-0', 'recommendations(first: 0) { items { rank } }', undefined],
      ['seam-first-big', 'recommendations(first: 5000) { items { rank } }', undefined],
      ['seam-first-var', 'recommendations(first: $first) { items { rank } }', { first: -1 }],
      [
        'seam-first-alias',
        'ok: recommendations(first: 2) { items { rank } } ... on RecordPurchasePayload { bad: recommendations(first: 101) { items { rank } } }',
        undefined,
      ],
    ];
    for (const [orderId, selection, variables] of refusals) {
      const refused = await gql(gateway.url, buy(orderId, selection), variables, { token });
      expect(refused.code, orderId).toBe('BAD_USER_INPUT');
      expect(refused.errors[0]?.extensions?.argumentName).toBe('first');
      expect(refused.data).toBeNull();
    }
    expect(model.purchases).toEqual([]);
    // Nothing was claimed either: the same orderId with a valid list is a first purchase.
    const accepted = await gql(
      gateway.url,
      buy('seam-first-0', 'recommendations(first: $first) { items { rank } }'),
      { first: 3 },
      { token },
    );
    expect(accepted.errors).toEqual([]);
    expect(accepted.data).toEqual({
      recordPurchase: { duplicate: false, recommendations: { items: [{ rank: 1 }, { rank: 2 }, { rank: 3 }] } },
    });
    expect(model.purchases).toEqual([{ userId: 'seam-buyer', itemId: 'i5' }]);
  });
});
