/**
 * `npm run bench -- memory-store`: what the embedded store costs in heap and per hit, packed (as it holds lists
 * now) against decoded objects (as it held them before), each in a child process of its own started with
 * `--expose-gc`, so one layout's garbage never shows in the other's figures:
 *
 *   - heap used (after a full GC) before and after filling MEMSTORE_USERS users (default 100,000) with default-sized
 *     lists (MEMSTORE_ITEMS, default 100), and bytes per user; with the store's own estimate for the packed layout;
 *   - hit cost: µs per `readMany` of one cached user, over a hot set of MEMSTORE_HOT users (default 2,000, the A/B
 *     run's population) and over all users (every read a different list: the packed layout decodes on most);
 *   - heap after the hits (the packed layout now holds its decoded hot lists as well).
 *
 * The old layout is rebuilt here as it was (a count-bounded LRU of decoded entries behind the same Keyv view), read
 * the same way, so the comparison costs nothing in the product. Writes bench/results/memory-store.json.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
import type { CacheEntry, UserState } from '../src/cache/cache-entry.js';
import { EMPTY_USER_STATE } from '../src/cache/cache-entry.js';
import type { UserSnapshot } from '../src/cache/cache-store.js';
import type { StoredValue } from '../src/cache/entry-codec.js';
import { userKeys } from '../src/cache/key-scheme.js';
import type { UserKeys } from '../src/cache/key-scheme.js';
import { DEFAULT_MEMORY_STORE_BYTES, MemoryStore } from '../src/cache/memory-store.js';
import { MODEL_VERSION, syntheticEntry, userIdAt } from './populate.js';
import { describeMachine, writeJson } from './report.js';

const SELF = fileURLToPath(import.meta.url);
const RESULTS_PATH = fileURLToPath(new URL('./results/memory-store.json', import.meta.url));
const LAYOUTS = ['objects', 'packed'] as const;
type Layout = (typeof LAYOUTS)[number];

interface LayoutResult {
  readonly layout: Layout;
  readonly users: number;
  readonly items: number;
  readonly heapBeforeMiB: number;
  readonly heapAfterFillMiB: number;
  readonly heapAfterHitsMiB: number;
  readonly bytesPerUser: number;
  /** The packed store's own estimate (what MEMORY_STORE_MAX_BYTES bounds), per user. */
  readonly estimatedBytesPerUser: number | undefined;
  readonly hotHitUs: number;
  readonly spreadHitUs: number;
  readonly fillSeconds: number;
}

/** Just the read the gateway makes on a hit. */
interface Readable {
  readMany(keys: readonly UserKeys[]): Promise<UserSnapshot[]>;
}

function settings(): { users: number; items: number; hot: number } {
  const read = (name: string, fallback: number): number => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
    return value;
  };
  const users = read('MEMSTORE_USERS', 100_000);
  return { users, items: read('MEMSTORE_ITEMS', 100), hot: Math.min(users, read('MEMSTORE_HOT', 2_000)) };
}

export async function memoryStoreBench(): Promise<void> {
  const results: LayoutResult[] = [];
  for (const layout of LAYOUTS) {
    process.stderr.write(`  ${layout}: filling and reading in a child process…\n`);
    results.push(await runChild(layout));
  }
  const [objects, packed] = results as [LayoutResult, LayoutResult];
  const mib = (value: number): string => value.toFixed(0);
  const lines = [
    `## Embedded store: ${packed.users.toLocaleString('en')} users, ${packed.items}-item lists, packed vs decoded objects`,
    '',
    '| layout | heap before (MiB) | heap after fill (MiB) | bytes/user | heap after hits (MiB) | hit, hot set (µs) | hit, all users (µs) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (row) =>
        `| ${row.layout === 'packed' ? 'packed (now)' : 'decoded objects (before)'} | ${mib(row.heapBeforeMiB)} | ${mib(row.heapAfterFillMiB)} | ` +
        `${row.bytesPerUser.toFixed(0)} | ${mib(row.heapAfterHitsMiB)} | ${row.hotHitUs.toFixed(2)} | ${row.spreadHitUs.toFixed(2)} |`,
    ),
    '',
    `Packed: ${(objects.bytesPerUser / packed.bytesPerUser).toFixed(1)}× less heap per user; the store's estimate ` +
      `${packed.estimatedBytesPerUser?.toFixed(0) ?? '?'} B/user against ${packed.bytesPerUser.toFixed(0)} measured ` +
      `(default bound ${(DEFAULT_MEMORY_STORE_BYTES / 2 ** 20).toFixed(0)} MiB). Hot hit ${(packed.hotHitUs / objects.hotHitUs).toFixed(2)}× the old layout's.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await writeJson(RESULTS_PATH, { machine: describeMachine(), results });
}

async function runChild(layout: Layout): Promise<LayoutResult> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, layout], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`memory-store child (${layout}) exited with ${String(code)}`);
  return JSON.parse(output.trim().split('\n').at(-1) ?? '') as LayoutResult;
}

// Child side: one layout, one process.

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function measure(layout: Layout): Promise<LayoutResult> {
  const { users, items, hot } = settings();
  const keys = Array.from({ length: users }, (_, index) => userKeys('', userIdAt(index), MODEL_VERSION));
  const now = Date.now();
  const heapBeforeMiB = collect();
  const started = performance.now();
  const store = layout === 'packed' ? await fillPacked(keys, items, now) : fillObjects(keys, items, now);
  const fillSeconds = (performance.now() - started) / 1000;
  const heapAfterFillMiB = collect();

  const hotHitUs = await hitCost(store.readable, keys.slice(0, hot), 100_000);
  const spreadHitUs = await hitCost(store.readable, keys, Math.min(users, 100_000));
  const heapAfterHitsMiB = collect();
  return {
    layout,
    users,
    items,
    heapBeforeMiB,
    heapAfterFillMiB,
    heapAfterHitsMiB,
    bytesPerUser: ((heapAfterFillMiB - heapBeforeMiB) * 2 ** 20) / users,
    estimatedBytesPerUser: store.estimatedBytes === undefined ? undefined : store.estimatedBytes() / users,
    hotHitUs,
    spreadHitUs,
    fillSeconds,
  };
}

/** µs per load of one cached user, cycling through `keys`; one untimed pass first (JIT, and the hot lists' decode). */
async function hitCost(store: Readable, keys: readonly UserKeys[], loads: number): Promise<number> {
  const read = async (count: number): Promise<void> => {
    for (let index = 0; index < count; index++) {
      const [snapshot] = await store.readMany([keys[index % keys.length] as UserKeys]);
      if (snapshot?.entry === undefined) throw new Error('a cached user read as a miss');
    }
  };
  await read(Math.min(keys.length, loads));
  const started = performance.now();
  await read(loads);
  return ((performance.now() - started) * 1000) / loads;
}

async function fillPacked(
  keys: readonly UserKeys[],
  items: number,
  now: number,
): Promise<{ readable: Readable; estimatedBytes: () => number }> {
  // Room for every user: this measures the layout, not eviction.
  const store = new MemoryStore(64 * 1024 ** 3);
  for (let from = 0; from < keys.length; from += 100) {
    const writes = keys.slice(from, from + 100).map((userKeysAt, offset) => {
      const entry = syntheticEntry(from + offset, items, now);
      return {
        keys: { ...userKeysAt, entry: ownCopy(userKeysAt.entry) },
        entry,
        ttlMs: entry.staleUntil - now,
        expectedGeneration: 0,
        leaseToken: undefined,
      };
    });
    await store.writeMany(writes);
  }
  return { readable: store, estimatedBytes: () => store.size.bytes };
}

/** The layout before: decoded entries in a count-bounded LRU, read through the same clock-aware Keyv view. */
function fillObjects(
  keys: readonly UserKeys[],
  items: number,
  now: number,
): { readable: Readable; estimatedBytes: undefined } {
  interface Envelope {
    value: StoredValue;
    expires: number;
  }
  const lru = new LRUCache<string, Envelope>({ max: keys.length });
  const keyv = new Keyv<StoredValue>({
    store: {
      get: (key: string): { value: StoredValue } | undefined => {
        const envelope = lru.get(key);
        if (envelope === undefined || envelope.expires <= Date.now()) return undefined;
        return { value: envelope.value };
      },
      set: (): void => {},
      delete: (key: string): boolean => lru.delete(key),
      clear: (): void => lru.clear(),
    },
    useKeyPrefix: false,
    serialize: undefined,
    deserialize: undefined,
  });
  keys.forEach((userKeysAt, index) => {
    const entry = syntheticEntry(index, items, now);
    lru.set(ownCopy(userKeysAt.entry), { value: { kind: 'entry', entry }, expires: entry.staleUntil });
  });
  const readable: Readable = {
    async readMany(wanted) {
      const values = await keyv.getMany(wanted.flatMap((userKeysAt) => [userKeysAt.entry, userKeysAt.state]));
      return wanted.map((_, index) => ({ entry: entryOf(values[index * 2]), state: stateOf(values[index * 2 + 1]) }));
    },
  };
  return { readable, estimatedBytes: undefined };
}

/**
 * The key as a string of its own, as a request builds it: the bench's key list is made before the first heap
 * reading, and a store holding those very strings would leave their bytes out of its figure.
 */
function ownCopy(key: string): string {
  return Buffer.from(key, 'utf8').toString('utf8');
}

function entryOf(value: StoredValue | undefined): CacheEntry | undefined {
  return value?.kind === 'entry' ? value.entry : undefined;
}

function stateOf(value: StoredValue | undefined): UserState {
  return value?.kind === 'state' ? value.state : EMPTY_USER_STATE;
}

const childLayout = process.argv[2];
if (process.argv[1] === SELF && (childLayout === 'objects' || childLayout === 'packed')) {
  const result = await measure(childLayout);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
