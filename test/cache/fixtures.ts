/**
 * Small builders shared by the cache tests. Not a test file itself (no `.test.` in the name).
 */
import type { CacheEntry, RecentPurchase, UserState } from '../../src/cache/cache-entry.js';
import type { EntryWrite, PurchaseLimits } from '../../src/cache/cache-store.js';
import type { UserKeys } from '../../src/cache/key-scheme.js';
import type { RankedItem } from '../../src/model/model.js';

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

export { sleep } from '../support/wait.js';
