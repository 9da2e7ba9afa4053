/**
 * Small builders shared by the cache tests. Not a test file itself (no `.test.` in the name).
 */
import type { CacheEntry, RecentPurchase, UserState } from '../../src/cache/cache-entry.js';
import type { EntryWrite, PurchaseLimits } from '../../src/cache/cache-store.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import type { RankedItem } from '../../src/model/model.js';
import { redisCli } from '../support/redis-server.js';
import { sleep } from '../support/wait.js';

export const T0 = 1_700_000_000_000;

/** A cache entry with sensible defaults; `label` makes the items of two entries tell apart. */
export function makeEntry(overrides: Partial<CacheEntry> & { label?: string } = {}): CacheEntry {
  const { label = 'a', ...rest } = overrides;
  const items: RankedItem[] = [
    { itemId: `${label}-1`, score: 0.9 },
    { itemId: `${label}-2`, score: 0.5 },
    { itemId: `${label}-3`, score: -0.25 },
  ];
  return {
    modelVersion: 'v1',
    generatedAt: T0,
    freshUntil: T0 + 60_000,
    staleUntil: T0 + 120_000,
    computeMs: 12,
    items,
    ...rest,
  };
}

export function makeState(generation: number, bought: readonly RecentPurchase[] = []): UserState {
  return { generation, bought };
}

export function makeWrite(
  keys: UserKeys,
  entry: CacheEntry,
  options: { ttlMs?: number; expectedGeneration?: number; leaseToken?: string } = {},
): EntryWrite {
  return {
    keys,
    entry,
    ttlMs: options.ttlMs ?? 60_000,
    expectedGeneration: options.expectedGeneration ?? 0,
    leaseToken: options.leaseToken,
  };
}

export const LIMITS: PurchaseLimits = { maxRemembered: 2, stateTtlMs: 60_000 };

export function purchase(itemId: string, at: number = T0): RecentPurchase {
  return { itemId, at };
}

export { sleep };

/** Redis' own clock (`TIME`), in milliseconds: the clock that decides when a PX key has expired. */
export async function redisNowMs(port: number): Promise<number> {
  const [seconds, micros] = (await redisCli(port, 'TIME')).split('\n');
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

/**
 * Resolves once `ms` have passed on Redis' clock since this call. A key written before the call expires at most `ms`
 * later by that clock, and Redis treats it as gone once its clock is past that point: the condition polled here.
 */
export async function passOnRedisClock(port: number, ms: number): Promise<void> {
  const until = (await redisNowMs(port)) + ms;
  for (let now = await redisNowMs(port); now <= until; now = await redisNowMs(port)) {
    // Only paces the polls; the condition is Redis' clock.
    await sleep(Math.max(1, Math.ceil(until - now)));
  }
}
