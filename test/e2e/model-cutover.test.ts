/**
 * A model cutover under load: two gateway processes over one Redis, both on a model server process (v1); the model
 * server is restarted as v2 on the same port while a light load keeps reading. After each gateway's switch (its first
 * v2 answer) no answer of that gateway says v1 or fails; every list labelled v2, in answers and in Redis, is exactly
 * what v2 computes for that user; every v1 list is exactly what v1 computes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStored } from '../../src/cache/entry-codec.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { RankedList } from '../../src/model/model.js';
import { freePort } from '../support/free-port.js';
import { postGraphQL, startGatewayProcess } from '../support/gateway.js';
import type { GatewayProcess } from '../support/gateway.js';
import { startModelServerProcess } from '../support/model-server.js';
import type { ModelServerProcess } from '../support/model-server.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import type { RedisProcess } from '../support/redis-server.js';
import { Cleanups, keysOn } from '../gateway/helpers.js';
import { sleep, waitFor } from '../support/wait.js';

const QUERY =
  'query ($u: ID!) { recommendations(userId: $u, first: 20) { modelVersion source items { item { id } } } }';
const USERS = Array.from({ length: 120 }, (_, index) => `cut-${index}`);

interface Sample {
  readonly gateway: number;
  readonly userId: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly version: string | undefined;
  readonly ids: readonly string[];
  readonly error: string | undefined;
}

/** What each version computes for a user, from the same built-in model the server runs (no purchases here). */
class Expected {
  readonly #models = new Map<string, BuiltinModel>();
  readonly #lists = new Map<string, string[]>();
  async ids(version: string, userId: string, count = 100): Promise<string[]> {
    const key = `${version}/${userId}`;
    let ids = this.#lists.get(key);
    if (ids === undefined) {
      let model = this.#models.get(version);
      if (model === undefined) {
        model = new BuiltinModel({ version });
        this.#models.set(version, model);
      }
      const [list] = (await model.scoreAndRank([userId], 100)) as RankedList[];
      ids = (list?.items ?? []).map((item) => item.itemId);
      this.#lists.set(key, ids);
    }
    return ids.slice(0, count);
  }
}

/** One gateway's samples sent after its switch, i.e. after it first answered v2; empty before it switched. */
function answeredAfterSwitch(samples: readonly Sample[], gateway: number): Sample[] {
  const own = samples.filter((sample) => sample.gateway === gateway);
  const switchedAt = Math.min(...own.filter((sample) => sample.version === 'v2').map((sample) => sample.receivedAt));
  return own.filter((sample) => sample.sentAt > switchedAt);
}

describe('model cutover under load: two gateways, model server restarted as v2', () => {
  const cleanups = new Cleanups();
  let redis: RedisProcess;
  let model: ModelServerProcess;
  let gateways: GatewayProcess[];
  const samples: Sample[] = [];
  let restartedAt = 0;

  beforeAll(async () => {
    redis = await startRedis();
    cleanups.add(() => redis.stop());
    const port = await freePort();
    model = await startModelServerProcess({ version: 'v1', port });
    cleanups.add(() => model.stop());
    const env = {
      MODEL_URL: model.url,
      REDIS_URL: redis.url,
      MODEL_VERSION_POLL_SECONDS: '1',
      // Generous: this test is about versions, not timeouts, and CI machines run several test files at once.
      MODEL_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_COMPUTES_PER_MINUTE: '10000000',
    };
    gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
    for (const gateway of gateways) cleanups.add(() => gateway.stop());

    let running = true;
    const worker = async (gateway: number) => {
      const url = (gateways[gateway] as GatewayProcess).url;
      while (running) {
        const userId = USERS[Math.floor(Math.random() * USERS.length)] as string;
        const sentAt = performance.now();
        let version: string | undefined;
        let ids: string[] = [];
        let error: string | undefined;
        try {
          const { body } = await postGraphQL(url, QUERY, { u: userId });
          const list = body.data?.recommendations as
            { modelVersion: string; items: Array<{ item: { id: string } }> } | undefined;
          if (body.errors !== undefined || list === undefined) error = JSON.stringify(body.errors ?? body);
          version = list?.modelVersion;
          ids = list?.items.map((item) => item.item.id) ?? [];
        } catch (caught) {
          error = String(caught);
        }
        samples.push({ gateway, userId, sentAt, receivedAt: performance.now(), version, ids, error });
        await sleep(5); // the load's pacing: a steady stream of reads is the scenario
      }
    };
    // Every user cached under v1 first, so the restart window is served from the cache rather than failing.
    for (let start = 0; start < USERS.length; start += 30) {
      const chunk = USERS.slice(start, start + 30);
      const warm = await postGraphQL(
        (gateways[0] as GatewayProcess).url,
        `{ ${chunk.map((userId, index) => `u${index}: recommendations(userId: "${userId}") { modelVersion }`).join(' ')} }`,
      );
      expect(warm.body.errors).toBeUndefined();
    }

    const load = Promise.all([0, 0, 1, 1].map(worker));
    // Counted in samples, not seconds: the machine may be busy, and the assertions need answers on both sides.
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline && samples.length < 80) await sleep(50); // polling the sample count
    restartedAt = performance.now();
    await model.stop();
    model = await startModelServerProcess({ version: 'v2', port });
    cleanups.add(() => model.stop());

    // Until each gateway has switched (its first v2 answer) and answered 30 more requests sent after that.
    while (performance.now() < deadline && !gateways.every((_, g) => answeredAfterSwitch(samples, g).length >= 30)) {
      await sleep(100); // the polling interval; the condition is both gateways' answers after the switch
    }
    running = false;
    await load;
  }, 120_000);

  afterAll(async () => {
    await cleanups.run();
  });

  it('served v1 before the restart and v2 after it, on both gateways', () => {
    const before = samples.filter((sample) => sample.receivedAt < restartedAt);
    expect(before.length).toBeGreaterThanOrEqual(80);
    expect(new Set(before.map((sample) => sample.version))).toEqual(new Set(['v1']));
    for (const gateway of [0, 1]) {
      expect(
        samples.filter((sample) => sample.gateway === gateway && sample.version === 'v2').length,
      ).toBeGreaterThanOrEqual(30);
    }
  });

  it('after a gateway switched, none of its answers says v1 or fails', () => {
    for (const gateway of [0, 1]) {
      const after = answeredAfterSwitch(samples, gateway);
      expect(after.length).toBeGreaterThanOrEqual(30);
      const wrong = after.filter((sample) => sample.version !== 'v2' || sample.error !== undefined);
      expect(wrong.slice(0, 3)).toEqual([]);
    }
  });

  it('every answer carries exactly the list its labelled version computes (no v1 list labelled v2)', async () => {
    const expected = new Expected();
    const answered = samples.filter((sample) => sample.version !== undefined);
    expect(answered.length).toBeGreaterThan(100);
    for (const sample of answered) {
      expect(sample.ids, `${sample.userId} labelled ${sample.version}`).toEqual(
        await expected.ids(sample.version as string, sample.userId, 20),
      );
    }
  });

  it('every entry stored under :v2 in Redis was computed by v2, and every :v1 entry by v1', async () => {
    const expected = new Expected();
    for (const version of ['v1', 'v2']) {
      const keys = (await keysOn(redis.port, `recs:{*}:${version}`)).filter((key) => !key.endsWith(':lease'));
      expect(keys.length).toBeGreaterThan(20);
      for (let start = 0; start < keys.length; start += 50) {
        const chunk = keys.slice(start, start + 50);
        const values = (await redisCli(redis.port, 'MGET', ...chunk)).split('\n');
        expect(values).toHaveLength(chunk.length);
        for (const [index, key] of chunk.entries()) {
          const userId = /^recs:\{(.+)\}:v\d$/.exec(key)?.[1] ?? '';
          const stored = decodeStored(values[index] ?? '');
          expect(stored?.kind, key).toBe('entry');
          if (stored?.kind !== 'entry') continue;
          expect(stored.entry.modelVersion, key).toBe(version);
          expect(
            stored.entry.items.map((item) => item.itemId),
            key,
          ).toEqual(await expected.ids(version, userId));
        }
      }
    }
  });

  it('remembered the users it served as recently active (for the next warm-up)', async () => {
    // Gateways write activity in batches once a second: wait for the batches that hold every user.
    const zcard = async () => Number(await redisCli(redis.port, 'ZCARD', 'recs:active'));
    await waitFor('every user recorded as active', async () => (await zcard()) >= USERS.length, 10_000);
    const active = await zcard();
    // Every user was read (the warm-up before the load reads them all), and recorded once, whatever the repeats.
    expect(active).toBe(USERS.length);
    expect(await redisCli(redis.port, 'ZREVRANGE', 'recs:active', '0', '0')).toMatch(/^cut-\d+$/);
  });
});
