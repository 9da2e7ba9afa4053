/**
 * `npm run bench -- entries`: what a cached list costs in Redis, format 1 (JSON, full-precision scores, as written
 * before) against format 2 (packed), on a redis-server of our own (never the one on 6379):
 *
 *   - MEMORY USAGE of one key, for lists of 20 and 100 items (the gateway's RECS_LIST_SIZE default is 100);
 *   - `used_memory` grown per user after loading ENTRIES_USERS users (default 100,000; 20-item lists), which includes
 *     what MEMORY USAGE leaves out (the expires table, allocator rounding), and its projection to 10 million users.
 *
 * Writes bench/results/hit-path/entries.json.
 */
import { fileURLToPath } from 'node:url';
import { encodeEntry, encodeEntryV1 } from '../src/cache/entry-codec.js';
import { userKeys } from '../src/cache/key-scheme.js';
import { redisCli, startRedis } from '../src/dev/redis-server.js';
import { MODEL_VERSION, populate, syntheticEntry, userIdAt } from './populate.js';
import { describeMachine, writeJson } from './report.js';

const RESULTS_PATH = fileURLToPath(new URL('./results/hit-path/entries.json', import.meta.url));
const PROJECTED_USERS = 10_000_000;

async function usedMemory(port: number): Promise<number> {
  const info = await redisCli(port, 'INFO', 'memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match === null) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

export async function entriesBench(): Promise<void> {
  const users = Number(process.env.ENTRIES_USERS ?? 100_000);
  const redis = await startRedis();
  try {
    const now = Date.now();
    const single: Array<{ format: string; items: number; valueBytes: number; memoryUsage: number }> = [];
    for (const items of [20, 100]) {
      for (const format of ['e1', 'e2'] as const) {
        const entry = syntheticEntry(7, items, now, format === 'e1');
        const value = format === 'e1' ? encodeEntryV1(entry) : encodeEntry(entry);
        // A typical key: the default (empty) prefix and a 12-character user id.
        const key = userKeys('', 'user-1234567', MODEL_VERSION).entry;
        await redisCli(redis.port, 'SET', key, value, 'PX', '3600000');
        const memoryUsage = Number(await redisCli(redis.port, 'MEMORY', 'USAGE', key));
        single.push({ format, items, valueBytes: Buffer.byteLength(value), memoryUsage });
        await redisCli(redis.port, 'DEL', key);
      }
    }
    const population: Array<{
      format: string;
      users: number;
      bytesPerUser: number;
      projectedGiB: number;
      loadSeconds: number;
    }> = [];
    for (const format of ['e1', 'e2'] as const) {
      await redisCli(redis.port, 'FLUSHALL');
      const before = await usedMemory(redis.port);
      const { seconds } = await populate({ port: redis.port, from: 0, to: users, items: 20, format });
      const keys = Number(await redisCli(redis.port, 'DBSIZE'));
      if (keys !== users) throw new Error(`expected ${users} keys after loading, found ${keys}`);
      const bytesPerUser = ((await usedMemory(redis.port)) - before) / users;
      population.push({
        format,
        users,
        bytesPerUser,
        projectedGiB: (bytesPerUser * PROJECTED_USERS) / 2 ** 30,
        loadSeconds: seconds,
      });
      process.stderr.write(
        `  ${format}: ${users} users loaded in ${seconds.toFixed(1)} s, ${bytesPerUser.toFixed(0)} B/user\n`,
      );
    }
    const sample = userIdAt(0);
    const lines = [
      '## Cache entry size in Redis: format 1 (JSON) vs format 2 (packed)',
      '',
      '| format | items | value bytes | MEMORY USAGE (bytes) |',
      '|---|---:|---:|---:|',
      ...single.map((row) => `| ${row.format} | ${row.items} | ${row.valueBytes} | ${row.memoryUsage} |`),
      '',
      `Population (${users.toLocaleString('en-US')} users, 20-item lists, keys like \`${userKeys('', sample, MODEL_VERSION).entry}\`, with TTL):`,
      '',
      '| format | used_memory per user (bytes) | projected for 10 million users |',
      '|---|---:|---:|',
      ...population.map(
        (row) => `| ${row.format} | ${row.bytesPerUser.toFixed(0)} | ${row.projectedGiB.toFixed(2)} GiB |`,
      ),
    ];
    const machine = describeMachine();
    lines.push(
      '',
      `Redis ${(await redisCli(redis.port, 'INFO', 'server')).match(/redis_version:(\S+)/)?.[1] ?? '?'} (jemalloc), ${machine.cpuModel}, node ${machine.node}.`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    await writeJson(RESULTS_PATH, { machine, single, population, projectedUsers: PROJECTED_USERS });
  } finally {
    await redis.stop();
  }
}
