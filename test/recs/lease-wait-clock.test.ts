import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../src/cache/cache-entry.js';
import { userKeys } from '../../src/cache/key-scheme.js';
import { MemoryStore } from '../../src/cache/memory-store.js';
import type { Clock } from '../../src/recs/clock.js';
import { LEASE_POLL_MS } from '../../src/recs/recompute-coordinator.js';
import type { ServedList } from '../../src/recs/served-list.js';
import { CountingModel } from '../support/models.js';
import { builtinModel, createService } from './service-fixture.js';

/** A clock whose waits take no real time: each moves the clock on and tells the test, which may act before it ends. */
class FakeClock implements Clock {
  time = Date.UTC(2026, 10, 27, 8, 0, 0);
  readonly waits: number[] = [];
  onWait: (count: number) => void = () => {};
  readonly now = (): number => this.time;
  readonly sleep = async (ms: number): Promise<void> => {
    this.waits.push(ms);
    this.time += ms;
    this.onWait(this.waits.length);
  };
}

function served(result: ServedList | Error | undefined): ServedList {
  if (result === undefined || result instanceof Error) throw new Error(`expected a list, got ${String(result)}`);
  return result;
}

const LEASE_WAIT_MS = 10_000;

describe('a reader refused a lease waits on the injected clock', () => {
  it('polls for the holder until the wait bound, then computes itself, without real time passing', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore(64_000_000, clock.now);
    // Another replica took the lease and will never write.
    expect(await store.acquireLeases([userKeys('', 'orphaned', 'v1')], 'other-replica', 60_000)).toEqual([true]);
    const model = new CountingModel(builtinModel());
    const service = createService(store, model, { clock, leaseWaitMs: LEASE_WAIT_MS });

    const started = performance.now();
    const list = served((await service.loadMany(['orphaned']))[0]);

    expect(list.source).toBe('MODEL');
    expect(model.users).toBe(1);
    expect(clock.waits).toEqual(Array.from({ length: LEASE_WAIT_MS / LEASE_POLL_MS }, () => LEASE_POLL_MS));
    // Ten seconds of polling on a real timer; on the fake clock, none of it.
    expect(performance.now() - started).toBeLessThan(LEASE_WAIT_MS / 2);
  });

  it("serves the holder's write as soon as a poll finds it, and does not compute", async () => {
    const clock = new FakeClock();
    const store = new MemoryStore(64_000_000, clock.now);
    const keys = userKeys('', 'shared', 'v1');
    expect(await store.acquireLeases([keys], 'other-replica', 60_000)).toEqual([true]);
    const entry: CacheEntry = {
      modelVersion: 'v1',
      generatedAt: clock.time,
      freshUntil: clock.time + 600_000,
      staleUntil: clock.time + 700_000,
      computeMs: 5,
      items: [{ itemId: 'written-by-holder', score: 0.5 }],
    };
    // The holder's write lands during the third wait.
    clock.onWait = (count) => {
      if (count === 3)
        void store.writeMany([{ keys, entry, ttlMs: 700_000, expectedGeneration: 0, leaseToken: 'other-replica' }]);
    };
    const model = new CountingModel(builtinModel());
    const service = createService(store, model, { clock, leaseWaitMs: LEASE_WAIT_MS });

    const list = served((await service.loadMany(['shared']))[0]);

    expect(list.source).toBe('CACHE');
    expect(list.items.map((item) => item.itemId)).toEqual(['written-by-holder']);
    expect(model.users).toBe(0);
    // The third wait's poll finds the write; the wait loop then ends at its next turn (one more wait, as before the
    // read path was split into parts).
    expect(clock.waits).toHaveLength(4);
  });
});
