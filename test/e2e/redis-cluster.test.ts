/**
 * Two gateway processes on a 3-master Redis Cluster the harness creates itself, sharing one reference model server:
 * batched reads across slots, invalidation seen across replicas, and `npm run purge` scanning every master.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { startModelServer } from '../support/model-server.js';
import type { InProcessModelServer } from '../support/model-server.js';
import { redisCli, startRedisCluster } from '../support/redis-server.js';
import type { RedisClusterProcess } from '../support/redis-server.js';
import { Cleanups, describeBody, keysOn } from '../gateway/helpers.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const USERS = Array.from({ length: 50 }, (_, index) => `cl-${index}`);
const LIST = 'userId modelVersion source items { item { id } }';

interface List {
  userId: string;
  modelVersion: string;
  source: string;
  items: Array<{ item: { id: string } }>;
}

function batchQuery(userIds: readonly string[]): string {
  return `{ ${userIds.map((userId, index) => `u${index}: recommendations(userId: "${userId}") { ${LIST} }`).join(' ')} }`;
}

async function readBatch(url: string, userIds: readonly string[]): Promise<List[]> {
  const { body } = await postGraphQL(url, batchQuery(userIds));
  expect(body.errors, describeBody(body)).toBeUndefined();
  return Object.values(body.data ?? {}) as List[];
}

async function readOne(url: string, userId: string): Promise<List> {
  const [list] = await readBatch(url, [userId]);
  return list as List;
}

/** Sum of a counter's samples (all label sets) in a gateway's /metrics. */
async function counter(origin: string, name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('gateways on a 3-master Redis Cluster', () => {
  const cleanups = new Cleanups();
  let cluster: RedisClusterProcess;
  let model: InProcessModelServer;
  let a: GatewayProcess;
  let b: GatewayProcess;

  /** Keys matching `pattern` on each master (KEYS is fine on a private test cluster). */
  async function keysPerMaster(pattern: string): Promise<string[][]> {
    return Promise.all(cluster.nodes.map(async (node) => keysOn(node.port, pattern)));
  }

  beforeAll(async () => {
    cluster = await startRedisCluster();
    cleanups.add(() => cluster.stop());
    model = await startModelServer({ version: 'v1' });
    cleanups.add(() => model.close());
    const env = {
      REDIS_CLUSTER_URLS: cluster.urls.join(','),
      MODEL_URL: model.url,
      MODEL_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
    };
    [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    cleanups.add(() => a.stop());
    cleanups.add(() => b.stop());
  }, 90_000);

  afterAll(async () => {
    await cleanups.run();
  });

  it('reads 50 users spread over every master in one batch: one model call, then hits on the other replica', async () => {
    const callsBefore = model.model.calls;
    const first = await readBatch(a.url, USERS);
    expect(first.map((list) => list.userId)).toEqual(USERS);
    expect(new Set(first.map((list) => `${list.modelVersion}/${list.source}`))).toEqual(new Set(['v1/MODEL']));
    expect(model.model.calls - callsBefore).toBe(1);

    // The lists landed on all three masters, so the reads below really span slots and nodes.
    const perMaster = await keysPerMaster('recs:{cl-*}:v1');
    expect(
      perMaster.map((keys) => keys.filter((key) => !key.endsWith(':lease')).length).every((count) => count > 0),
    ).toBe(true);
    expect(perMaster.flat().filter((key) => !key.endsWith(':lease'))).toHaveLength(50);

    const second = await readBatch(b.url, USERS);
    expect(new Set(second.map((list) => list.source))).toEqual(new Set(['CACHE']));
    expect(second.map((list) => list.items)).toEqual(first.map((list) => list.items));
    expect(model.model.calls - callsBefore).toBe(1);
    // A CROSSSLOT or MOVED failure would have been swallowed into a miss: make sure none happened.
    expect(await counter(a.origin, 'recs_store_errors_total')).toBe(0);
    expect(await counter(b.origin, 'recs_store_errors_total')).toBe(0);
  });

  it("reflects a purchase handled by replica A on replica B's next read", async () => {
    const before = await readOne(b.url, 'cl-buyer');
    const bought = before.items[0]?.item.id ?? '';
    const purchase = await postGraphQL(
      a.url,
      'mutation ($i: RecordPurchaseInput!) { recordPurchase(input: $i) { invalidated } }',
      { i: { userId: 'cl-buyer', itemId: bought, orderId: 'cl-order-1' } },
    );
    expect(purchase.body.errors, describeBody(purchase.body)).toBeUndefined();
    expect(purchase.body.data?.recordPurchase).toEqual({ invalidated: true });

    const after = await readOne(b.url, 'cl-buyer');
    expect(after.source).toBe('MODEL');
    expect(after.items.map((item) => item.item.id)).not.toContain(bought);
    expect(after.items).toHaveLength(20);
  });

  it('remembers active users in one sorted set on the cluster', async () => {
    const zcards = () =>
      Promise.all(
        cluster.nodes.map(async (node) => redisCli(node.port, 'ZCARD', 'recs:active').then(Number, () => undefined)),
      );
    // The recorder writes in the background, in batches: wait until the users read above have been written.
    await waitFor('the active users to be written', async () => (await zcards()).some((count) => (count ?? 0) >= 51));
    const counts = await zcards();
    const owners = counts.filter((count) => count !== undefined);
    expect(owners).toHaveLength(1);
    expect(owners[0]).toBeGreaterThanOrEqual(51);
  });

  it('npm run purge scans every master and removes every v1 list, keeping user state', async () => {
    const v1Keys = (await keysPerMaster('recs:{*}:v1*')).flat();
    const v1Lists = v1Keys.filter((key) => !key.endsWith(':lease'));
    expect(v1Lists.length).toBeGreaterThanOrEqual(51);
    const { stdout } = await run('npm', ['run', '--silent', 'purge', '--', '--version', 'v1'], {
      env: { ...process.env, REDIS_CLUSTER_URLS: cluster.urls.join(','), REDIS_URL: '' },
    });
    // Every list, and the leases that had not lapsed by themselves (10 s) before the purge reached them.
    const report = JSON.parse(stdout) as { version: string; removed: number };
    expect(report.version).toBe('v1');
    expect(report.removed).toBeGreaterThanOrEqual(v1Lists.length);
    expect(report.removed).toBeLessThanOrEqual(v1Keys.length);
    expect((await keysPerMaster('recs:{*}:v1*')).flat()).toEqual([]);
    expect((await keysPerMaster('recs:{cl-buyer}:state')).flat()).toEqual(['recs:{cl-buyer}:state']);

    const callsBefore = model.model.calls;
    const reread = await readBatch(b.url, USERS.slice(0, 10));
    expect(new Set(reread.map((list) => list.source))).toEqual(new Set(['MODEL']));
    expect(model.model.calls - callsBefore).toBe(1);
  });
});
