/**
 * Filling a bench Redis with cached lists quickly: entries are built here (synthetic but shaped like the gateway's:
 * catalogue ids, descending scores quantised to six decimals, fresh for hours), encoded with the gateway's own codec
 * and key scheme, and streamed to `redis-cli --pipe` as raw RESP. A million users load in seconds, where reading
 * them once through GraphQL would take the model an hour.
 */
import { spawn } from 'node:child_process';
import type { CacheEntry } from '../src/cache/cache-entry.js';
import { encodeEntry, encodeEntryV1 } from '../src/cache/entry-codec.js';
import { userKeys } from '../src/cache/key-scheme.js';
import { quantiseScore } from '../src/cache/packed-entry.js';
import { DEFAULT_CATALOG_SIZE } from '../src/model/catalog.js';
import { mulberry32 } from '../src/model/prng.js';

export const MODEL_VERSION = 'v1';

export function userIdAt(index: number): string {
  return `user-${index}`;
}

/**
 * A list as the model would make it: distinct catalogue items, best first, scores to six decimals (or, with
 * `fullPrecision`, as releases before format 2 stored them: every digit of a float64).
 */
export function syntheticEntry(index: number, items: number, now: number, fullPrecision = false): CacheEntry {
  const random = mulberry32(index + 1);
  const seen = new Set<number>();
  const ranked: Array<{ itemId: string; score: number }> = [];
  let score = 1.2 + random() * 0.3;
  while (ranked.length < items) {
    const item = Math.floor(random() * DEFAULT_CATALOG_SIZE);
    if (seen.has(item)) continue;
    seen.add(item);
    score -= random() * 0.02;
    ranked.push({ itemId: `i${item}`, score: fullPrecision ? score : quantiseScore(score) });
  }
  const freshFor = 3 * 3600_000;
  return {
    modelVersion: MODEL_VERSION,
    generatedAt: now,
    freshUntil: now + freshFor,
    staleUntil: now + freshFor + 3600_000,
    computeMs: 2 + (index % 5),
    items: ranked,
  };
}

function resp(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

export interface PopulateOptions {
  readonly port: number;
  /** Users [from, to) are written. */
  readonly from: number;
  readonly to: number;
  readonly items: number;
  readonly format?: 'e2' | 'e1';
  readonly keyPrefix?: string;
}

/** Writes the entries of users [from, to) with `SET key value PX ttl`, through one `redis-cli --pipe`. */
export async function populate(options: PopulateOptions): Promise<{ readonly seconds: number }> {
  const started = performance.now();
  const now = Date.now();
  const encode = options.format === 'e1' ? encodeEntryV1 : encodeEntry;
  const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(options.port), '--pipe'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const CHUNK = 2_000;
  for (let start = options.from; start < options.to; start += CHUNK) {
    let text = '';
    for (let index = start; index < Math.min(start + CHUNK, options.to); index++) {
      const entry = syntheticEntry(index, options.items, now, options.format === 'e1');
      const ttl = String(entry.staleUntil - now);
      text += resp([
        'SET',
        userKeys(options.keyPrefix ?? '', userIdAt(index), MODEL_VERSION).entry,
        encode(entry),
        'PX',
        ttl,
      ]);
    }
    if (!child.stdin.write(text)) await new Promise<void>((resolve) => child.stdin.once('drain', () => resolve()));
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0 || !/errors: 0, replies: \d+/.test(output))
    throw new Error(`redis-cli --pipe failed (exit ${String(code)}): ${output.trim()}`);
  return { seconds: (performance.now() - started) / 1000 };
}
