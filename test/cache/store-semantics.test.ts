/**
 * The pure statement of the store's atomic operations (src/cache/store-semantics.ts), case by case. Both drivers are
 * checked against the same rules end to end by the contract suite (store-contract.ts); these pin the edge cases the
 * Lua scripts must transcribe too.
 */
import { describe, expect, it } from 'vitest';
import {
  claimOutcome,
  decideWrite,
  mayReleaseLease,
  mayTakeLease,
  stateAfterPurchase,
  storedOrder,
} from '../../src/cache/store-semantics.js';
import { EMPTY_USER_STATE } from '../../src/cache/cache-entry.js';
import { encodeOrder } from '../../src/cache/entry-codec.js';
import { makeState, purchase } from './fixtures.js';

describe('decideWrite', () => {
  it('writes at the expected generation and keeps the lease', () => {
    expect(decideWrite(makeState(2), 'token', { expectedGeneration: 2, leaseToken: 'token' })).toEqual({
      written: true,
      releaseLease: false,
    });
  });

  it('refuses at any other generation, giving the lease back only to its holder', () => {
    expect(decideWrite(makeState(3), 'token', { expectedGeneration: 2, leaseToken: 'token' })).toEqual({
      written: false,
      releaseLease: true,
    });
    expect(decideWrite(makeState(1), 'token', { expectedGeneration: 2, leaseToken: 'other' })).toEqual({
      written: false,
      releaseLease: false,
    });
    expect(decideWrite(makeState(1), undefined, { expectedGeneration: 2, leaseToken: 'token' })).toEqual({
      written: false,
      releaseLease: false,
    });
    expect(decideWrite(makeState(1), 'token', { expectedGeneration: 2, leaseToken: undefined })).toEqual({
      written: false,
      releaseLease: false,
    });
  });
});

describe('stateAfterPurchase', () => {
  const limits = { maxRemembered: 3, stateTtlMs: 60_000 };

  it('bumps the generation and puts the item first', () => {
    expect(stateAfterPurchase(EMPTY_USER_STATE, purchase('a', 1), limits)).toEqual(makeState(1, [purchase('a', 1)]));
  });

  it('moves a repeated item to the front instead of listing it twice, and cuts to maxRemembered', () => {
    const state = makeState(4, [purchase('c', 3), purchase('b', 2), purchase('a', 1)]);
    expect(stateAfterPurchase(state, purchase('a', 9), limits)).toEqual(
      makeState(5, [purchase('a', 9), purchase('c', 3), purchase('b', 2)]),
    );
    expect(stateAfterPurchase(state, purchase('d', 9), limits)).toEqual(
      makeState(5, [purchase('d', 9), purchase('c', 3), purchase('b', 2)]),
    );
    expect(stateAfterPurchase(state, purchase('d', 9), { ...limits, maxRemembered: 0 })).toEqual(makeState(5));
  });
});

describe('leases', () => {
  it('only a free lease can be taken; only its holder gives it back', () => {
    expect(mayTakeLease(undefined)).toBe(true);
    expect(mayTakeLease('token')).toBe(false);
    expect(mayReleaseLease('token', 'token')).toBe(true);
    expect(mayReleaseLease('token', 'other')).toBe(false);
    expect(mayReleaseLease(undefined, 'token')).toBe(false);
    expect(mayReleaseLease('token', undefined)).toBe(false);
    // '' is how the Lua scripts receive "no token": it never matches, even a lease stored as ''.
    expect(mayReleaseLease('', '')).toBe(false);
  });
});

describe('orders', () => {
  const record = { userId: 'u', itemId: 'i', status: 'done', invalidated: true } as const;

  it('claims an absent id; reports a stored record as it is', () => {
    expect(claimOutcome(undefined)).toEqual({ claimed: true });
    expect(claimOutcome(encodeOrder(record))).toEqual({ claimed: false, existing: record });
  });

  it('reports an unreadable record as taken by nobody', () => {
    expect(storedOrder('garbage')).toEqual({ userId: '', itemId: '', status: 'done', invalidated: false });
  });
});
