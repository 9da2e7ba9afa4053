/**
 * The store's circuit breaker around a real MemoryStore, made sick by a chaos wrapper (the bentocache habit): it
 * opens after N consecutive store failures, sends nothing while open, probes once after the cool-down or at once
 * when told the store is back, reports each change once, and does not count errors that are not the store's.
 */
import { describe, expect, it } from 'vitest';
import type { StoreDriver } from '../../src/cache/cache-store.js';
import { GuardedStore } from '../../src/cache/guarded-store.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import { StoreNotAttemptedError, StoreUnavailableError } from '../../src/errors.js';

/** Counts reads that reach the store, and fails them while `sick`. */
function chaos(inner: StoreDriver): { store: StoreDriver; state: { sick: boolean; reads: number } } {
  const state = { sick: false, reads: 0 };
  const store = Object.create(inner) as StoreDriver;
  store.readMany = async (keys) => {
    state.reads += 1;
    if (state.sick) throw new StoreUnavailableError('read', new Error('chaos'));
    return inner.readMany(keys);
  };
  return { store, state };
}

const keys = [userKeys('', 'u1', 'v1')];

function setUp() {
  const clock = { now: 1_000 };
  const changes: string[] = [];
  const { store, state } = chaos(new MemoryStore(64_000_000));
  const guarded = new GuardedStore(store, {
    failureThreshold: 2,
    coolDownMs: 500,
    now: () => clock.now,
    onChange: (change) => changes.push(change),
  });
  return { clock, changes, state, guarded };
}

describe('GuardedStore', () => {
  it('opens after consecutive failures, then refuses without touching the store until the cool-down ends', async () => {
    const { clock, changes, state, guarded } = setUp();
    state.sick = true;
    await expect(guarded.readMany(keys)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(guarded.breakerState).toBe('closed');
    await expect(guarded.readMany(keys)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(guarded.breakerState).toBe('open');
    expect(changes).toEqual(['open']);

    for (let index = 0; index < 10; index += 1)
      await expect(guarded.readMany(keys)).rejects.toBeInstanceOf(StoreNotAttemptedError);
    expect(state.reads).toBe(2);

    state.sick = false;
    clock.now += 500;
    expect(guarded.breakerState).toBe('half-open');
    await expect(guarded.readMany(keys)).resolves.toHaveLength(1);
    expect(state.reads).toBe(3);
    expect(guarded.breakerState).toBe('closed');
    expect(changes).toEqual(['open', 'closed']);
  });

  it('storeReady lets the next call probe at once, without waiting out the cool-down', async () => {
    const { state, guarded } = setUp();
    state.sick = true;
    for (let index = 0; index < 2; index += 1) await expect(guarded.readMany(keys)).rejects.toThrow();
    state.sick = false;
    await expect(guarded.readMany(keys)).rejects.toBeInstanceOf(StoreNotAttemptedError);
    guarded.storeReady();
    await expect(guarded.readMany(keys)).resolves.toHaveLength(1);
    expect(guarded.breakerState).toBe('closed');
  });

  it('errors that are not the store failing (a bad argument) do not count against it', async () => {
    const broken = new GuardedStore(
      Object.assign(Object.create(new MemoryStore(64_000_000)) as StoreDriver, {
        ping: async () => Promise.reject(new TypeError('bug')),
      }),
      { failureThreshold: 1, coolDownMs: 500 },
    );
    await expect(broken.ping()).rejects.toBeInstanceOf(TypeError);
    await expect(broken.ping()).rejects.toBeInstanceOf(TypeError);
    expect(broken.breakerState).toBe('closed');
  });
});
