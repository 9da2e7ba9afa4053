/**
 * The outbox's own rules, with an `apply` the test controls: held purchases are retried in order until the store
 * fails, a conflict is dropped, the read path sees the held items per user, and the outbox is bounded.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError } from '../../src/errors.js';
import { PurchaseOutbox } from '../../src/purchases/purchase-outbox.js';
import type { PurchaseOrder } from '../../src/purchases/purchase-service.js';
import { silentLogger } from '../../src/telemetry/events.js';
import { waitFor } from '../support/wait.js';

function order(orderId: string, userId = 'u1', itemId = `item-${orderId}`): PurchaseOrder {
  return { orderId, userId, itemId, at: 1 };
}

/** An apply that fails with the store down, and records what it applied once the store is up. */
class Store {
  up = false;
  readonly applied: string[] = [];
  readonly conflicts = new Set<string>();
  async apply(purchase: PurchaseOrder): Promise<void> {
    if (this.conflicts.has(purchase.orderId)) throw new ConflictError('taken');
    if (!this.up) throw new StoreUnavailableError('purchase', new Error('down'));
    this.applied.push(purchase.orderId);
  }
}

describe('PurchaseOutbox', () => {
  it('holds purchases while the store is down and applies them, in order, once it is up', async () => {
    const store = new Store();
    const outbox = new PurchaseOutbox({
      apply: (held) => store.apply(held),
      maxSize: 10,
      retryEveryMs: 10,
      logger: silentLogger,
    });
    outbox.hold(order('o1'));
    outbox.hold(order('o2', 'u2'));
    outbox.hold(order('o1'));
    expect(outbox.size).toBe(2);
    expect(outbox.holds('o1')).toBe(true);
    expect(outbox.itemsFor('u1')).toEqual(['item-o1']);
    expect(outbox.itemsFor('u3')).toBeUndefined();

    await outbox.drain();
    expect(store.applied).toEqual([]);
    expect(outbox.size).toBe(2);

    store.up = true;
    await waitFor('the held purchases to be retried', () => outbox.size === 0, 5_000);
    expect(store.applied).toEqual(['o1', 'o2']);
    expect(outbox.size).toBe(0);
    expect(outbox.itemsFor('u1')).toBeUndefined();
    await outbox.close();
  });

  it('retries outside the request that held the purchase: its trace and request id do not follow the retries', async () => {
    // As OpenTelemetry's context manager keeps a request's context (its trace, its x-request-id for the model).
    const request = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    let up = false;
    const outbox = new PurchaseOutbox({
      apply: async () => {
        seen.push(request.getStore());
        if (!up) throw new StoreUnavailableError('purchase', new Error('down'));
      },
      maxSize: 10,
      retryEveryMs: 10,
      logger: silentLogger,
    });
    request.run('checkout-request-1', () => outbox.hold(order('o1')));
    // At least one retry failed while the store was down, then the store comes back.
    await waitFor('a retry while the store is down', () => seen.length > 1, 5_000);
    up = true;
    await waitFor('the held purchase to be applied', () => outbox.size === 0, 5_000);
    expect(outbox.size).toBe(0);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.filter((store) => store !== undefined)).toEqual([]);
    await outbox.close();
  });

  it('drops a purchase that conflicts (it can never be applied) and goes on with the next', async () => {
    const store = new Store();
    store.up = true;
    store.conflicts.add('bad');
    const outbox = new PurchaseOutbox({
      apply: (held) => store.apply(held),
      maxSize: 10,
      retryEveryMs: 1_000,
      logger: silentLogger,
    });
    outbox.hold(order('bad'));
    outbox.hold(order('good'));
    await outbox.drain();
    expect(store.applied).toEqual(['good']);
    expect(outbox.size).toBe(0);
    await outbox.close();
  });

  it('is bounded: past maxSize a purchase is not held', async () => {
    const outbox = new PurchaseOutbox({ apply: async () => {}, maxSize: 2, retryEveryMs: 1_000, logger: silentLogger });
    outbox.hold(order('o1'));
    outbox.hold(order('o2'));
    outbox.hold(order('o3'));
    expect(outbox.size).toBe(2);
    expect(outbox.holds('o3')).toBe(false);
    await outbox.close();
  });

  it('release forgets one order and only its item: two held purchases of one user keep the other', async () => {
    const outbox = new PurchaseOutbox({
      apply: async () => {},
      maxSize: 10,
      retryEveryMs: 1_000,
      logger: silentLogger,
    });
    outbox.hold(order('o1', 'u1', 'shoe'));
    outbox.hold(order('o2', 'u1', 'hat'));
    outbox.release('o1');
    expect(outbox.itemsFor('u1')).toEqual(['hat']);
    outbox.release('o2');
    expect(outbox.itemsFor('u1')).toBeUndefined();
    await outbox.close();
  });
});
