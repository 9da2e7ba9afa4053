/**
 * `npm run bench -- store-read`: what one cache hit's store read costs, in process and without HTTP, on each store:
 * the in-memory store, Redis without the near cache (the turn's reads share one MGET) and Redis with it (the default:
 * a hot key is answered in process). Each read is `readMany` of one cached user with a 100-item list, issued
 * STORE_READ_BATCH (12, about what one event-loop turn carries under the A/B run's load) at a time over
 * STORE_READ_USERS (200) users, STORE_READ_PASSES (200) passes over them; the stores are measured in turn,
 * STORE_READ_ROUNDS (3) times, CPU of this process per read (user + system), medians.
 *
 * It isolates the read the near cache changes from everything else a hit does (HTTP, GraphQL, the response), whose
 * cost on a 2-core machine varies more between runs than the read itself.
 */
import type { StoreDriver } from '../src/cache/cache-store.js';
import { userKeys } from '../src/cache/key-scheme.js';
import { MemoryStore } from '../src/cache/memory-store.js';
import { RedisStore } from '../src/cache/redis-store.js';
import { startRedis } from '../src/dev/redis-server.js';
import { log } from './log.js';
import { whole } from './options.js';
import { MODEL_VERSION, syntheticEntry, userIdAt } from './populate.js';
import { describeMachine } from './report.js';

const LIST_ITEMS = 100;
const HOUR_MS = 3_600_000;

export async function storeReadBench(): Promise<void> {
  const users = whole('STORE_READ_USERS', 200);
  const batch = whole('STORE_READ_BATCH', 12);
  const passes = whole('STORE_READ_PASSES', 200);
  const rounds = whole('STORE_READ_ROUNDS', 3);
  const keys = Array.from({ length: users }, (_, index) => userKeys('', userIdAt(index), MODEL_VERSION));
  const redis = await startRedis();
  const stores: Array<[string, StoreDriver]> = [
    ['memory', new MemoryStore(128 * 1024 * 1024)],
    ['redis, no near cache', new RedisStore({ url: redis.url, timeoutMs: 2_000, onError: () => {} })],
    [
      'redis, near cache (default)',
      new RedisStore({
        url: redis.url,
        timeoutMs: 2_000,
        onError: () => {},
        nearCache: { ttlMs: HOUR_MS, maxKeys: users * 2 },
      }),
    ],
  ];
  const figures = new Map<string, number[]>();
  try {
    const now = Date.now();
    for (const [, store] of stores) {
      await store.writeMany(
        keys.map((userKeysOf, index) => ({
          keys: userKeysOf,
          entry: syntheticEntry(index, LIST_ITEMS, now),
          ttlMs: HOUR_MS,
          expectedGeneration: 0,
          leaseToken: undefined,
        })),
      );
    }
    for (let round = 1; round <= rounds; round += 1) {
      for (const [name, store] of stores) {
        const micros = await cpuPerRead(store, keys, batch, passes);
        figures.set(name, [...(figures.get(name) ?? []), micros]);
        log(`round ${round} ${name}: ${micros.toFixed(2)} µs CPU per read`);
      }
    }
  } finally {
    await Promise.all(stores.map(async ([, store]) => store.close()));
    await redis.stop();
  }

  const machine = describeMachine();
  const memory = median(figures.get('memory') ?? []);
  const lines = [
    `## Store read of one cached user (${LIST_ITEMS}-item list), in process`,
    '',
    `${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m} at start; ` +
      `${users} users, ${batch} reads at a time, ${passes} passes, ${rounds} rounds, medians (per round in brackets).`,
    '',
    '| store | CPU µs per read | against memory |',
    '|---|---:|---:|',
    ...[...figures].map(([name, values]) => {
      const value = median(values);
      const rounded = values.map((figure) => figure.toFixed(1)).join(', ');
      return `| ${name} | ${value.toFixed(1)} (${rounded}) | ${(value / memory).toFixed(2)}x |`;
    }),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function cpuPerRead(
  store: StoreDriver,
  keys: ReadonlyArray<ReturnType<typeof userKeys>>,
  batch: number,
  passes: number,
): Promise<number> {
  const pass = async (): Promise<void> => {
    for (let from = 0; from < keys.length; from += batch) {
      await Promise.all(keys.slice(from, from + batch).map(async (userKeysOf) => store.readMany([userKeysOf])));
    }
  };
  for (let warm = 0; warm < 3; warm += 1) await pass();
  const started = process.cpuUsage();
  for (let index = 0; index < passes; index += 1) await pass();
  const spent = process.cpuUsage(started);
  return (spent.user + spent.system) / (passes * keys.length);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
