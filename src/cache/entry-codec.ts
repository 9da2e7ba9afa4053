import type { CacheEntry, RecentPurchase, UserState } from './cache-entry.js';
import type { RankedItem } from '../model/model.js';
import type { OrderRecord } from './order-ledger.js';
import { PACKED_PREFIX, decodePackedEntry, encodePackedEntry } from './packed-entry.js';

/**
 * How entries and user state are written as strings in Redis.
 *
 * Both share one key space and are read together by one MGET, so each string says what it is: an entry is written
 * in format 2, `e2:` + a packed binary layout in base64url (`packed-entry.ts`: ~230 bytes of Redis memory for a
 * 20-item list instead of ~700); entries written by earlier releases in format 1, a JSON array tagged `"e1"` with
 * items flattened as `id, score, id, score, ...`, are still read. A user state is the JSON object
 * `{"gen":n,"bought":[[itemId, at], ...]}` that the Lua scripts in `redis-scripts.ts` read and write with cjson.
 * Anything that does not decode (a format from an older or newer release, a truncated value) reads as absent: a
 * miss, never an error.
 */
export type StoredValue =
  { readonly kind: 'entry'; readonly entry: CacheEntry } | { readonly kind: 'state'; readonly state: UserState };

const ENTRY_FORMAT = 'e1';

/** Writes an entry in the current format (e2). */
export function encodeEntry(entry: CacheEntry): string {
  return encodePackedEntry(entry);
}

/** Writes an entry in format 1, as releases before format 2 did: for compatibility tests and measurements only. */
export function encodeEntryV1(entry: CacheEntry): string {
  const flat: Array<string | number> = [];
  for (const item of entry.items) flat.push(item.itemId, item.score);
  return JSON.stringify([
    ENTRY_FORMAT,
    entry.modelVersion,
    entry.generatedAt,
    entry.freshUntil,
    entry.staleUntil,
    entry.computeMs,
    flat,
  ]);
}

export function decodeStored(raw: string): StoredValue | undefined {
  if (raw.startsWith(PACKED_PREFIX)) {
    const entry = decodePackedEntry(raw);
    return entry === undefined ? undefined : { kind: 'entry', entry };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) {
    const entry = decodeEntry(parsed);
    return entry === undefined ? undefined : { kind: 'entry', entry };
  }
  const state = decodeState(parsed);
  return state === undefined ? undefined : { kind: 'state', state };
}

function decodeEntry(parts: unknown[]): CacheEntry | undefined {
  const [format, modelVersion, generatedAt, freshUntil, staleUntil, computeMs, flat] = parts;
  if (format !== ENTRY_FORMAT || typeof modelVersion !== 'string' || !Array.isArray(flat) || flat.length % 2 !== 0) {
    return undefined;
  }
  if (
    !isFiniteNumber(generatedAt) ||
    !isFiniteNumber(freshUntil) ||
    !isFiniteNumber(staleUntil) ||
    !isFiniteNumber(computeMs)
  ) {
    return undefined;
  }
  const items: RankedItem[] = [];
  for (let index = 0; index < flat.length; index += 2) {
    const itemId: unknown = flat[index];
    const score: unknown = flat[index + 1];
    if (typeof itemId !== 'string' || !isFiniteNumber(score)) return undefined;
    items.push({ itemId, score });
  }
  return { modelVersion, generatedAt, freshUntil, staleUntil, computeMs, items };
}

function decodeState(parsed: unknown): UserState | undefined {
  if (typeof parsed !== 'object' || parsed === null || !('gen' in parsed)) return undefined;
  const generation = parsed.gen;
  if (!isFiniteNumber(generation)) return undefined;
  // cjson writes an empty Lua table as `{}`, so an object here means "no purchases".
  const rawBought = 'bought' in parsed && Array.isArray(parsed.bought) ? (parsed.bought as unknown[]) : [];
  const bought: RecentPurchase[] = [];
  for (const pair of rawBought) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && isFiniteNumber(pair[1])) {
      bought.push({ itemId: pair[0], at: pair[1] });
    }
  }
  return { generation, bought };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Order records are small JSON objects; anything else reads as absent. */
export function encodeOrder(record: OrderRecord): string {
  const encoded: Record<string, unknown> = {
    u: record.userId,
    i: record.itemId,
    s: record.status,
    v: record.invalidated,
  };
  if (record.claimedAt !== undefined) encoded.t = record.claimedAt;
  return JSON.stringify(encoded);
}

export function decodeOrder(raw: string): OrderRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { u, i, s, v, t } = parsed as Record<string, unknown>;
    if (typeof u !== 'string' || typeof i !== 'string' || (s !== 'pending' && s !== 'done') || typeof v !== 'boolean')
      return undefined;
    return isFiniteNumber(t)
      ? { userId: u, itemId: i, status: s, invalidated: v, claimedAt: t }
      : { userId: u, itemId: i, status: s, invalidated: v };
  } catch {
    return undefined;
  }
}
