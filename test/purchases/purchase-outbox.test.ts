/**
 * The outbox's own rules, with an `apply` the test controls: held purchases are retried in order until the store
 * fails, a conflict is dropped, the read path sees the held items per user, and the outbox is bounded, with a share
 * per client.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError } from '../../src/errors.js';
import { PurchaseOutbox, clientShare } from '../../src/purchases/purchase-outbox.js';
import type { PurchaseOrder } from '../../src/purchases/purchase-service.js';
import { silentLogger } from '../../src/telemetry/events.js';
import type { Logger } from '../../src/telemetry/events.js';
import { waitFor } from '../support/wait.js';
import { captureLogs } from '../support/log-capture.js';

function order(orderId: string, userId = 'u1', itemId = `item-${orderId}`): PurchaseOrder {
  return { orderId, userId, itemId, at: 1 };
}

function orderFrom(clientId: string, orderId: string): PurchaseOrder {
  return { ...order(orderId, `user-${orderId}`), clientId };
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

/** An outbox in front of `store`, as the share tests need it. */
function outboxOn(store: Store, maxSize: number, retryEveryMs: number, logger: Logger = silentLogger): PurchaseOutbox {
  return new PurchaseOutbox({ apply: (held) => store.apply(held), maxSize, retryEveryMs, logger });
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

  it('gives each client all of the outbox but a tenth, which stays for the others; at least one place', () => {
    expect(clientShare(10_000)).toBe(9_000);
    expect(clientShare(25)).toBe(22);
    expect(clientShare(4)).toBe(3);
    expect(clientShare(3)).toBe(2);
    expect(clientShare(1)).toBe(1);
  });

  it('a client at its share is refused without pushing anyone out, and the other clients still fit', async () => {
    const logs = captureLogs();
    const store = new Store();
    const outbox = outboxOn(store, 4, 1_000, logs.logger);
    // A share of 3 of 4: the flooding client's fourth purchase is refused, its first three stay held.
    for (const orderId of ['a1', 'a2', 'a3', 'a4', 'a5']) outbox.hold(orderFrom('sub:flooder', orderId));
    expect(['a1', 'a2', 'a3'].every((orderId) => outbox.holds(orderId))).toBe(true);
    expect(outbox.holds('a4')).toBe(false);
    expect(outbox.holds('a5')).toBe(false);
    expect(outbox.itemsFor('user-a4')).toBeUndefined();
    // The same order again is still one held purchase, not a second one of the share.
    outbox.hold(orderFrom('sub:flooder', 'a1'));
    expect(outbox.size).toBe(3);

    // The place kept for the others.
    outbox.hold(orderFrom('sub:checkout', 'b1'));
    expect(outbox.size).toBe(4);
    expect(outbox.holds('b1')).toBe(true);
    expect(outbox.itemsFor('user-b1')).toEqual(['item-b1']);

    const refusals = logs.lines().filter((line) => line.msg?.includes("this client's share is full") === true);
    expect(refusals.map((line) => [line.orderId, line.clientId, line.share])).toEqual([
      ['a4', 'sub:flooder', 3],
      ['a5', 'sub:flooder', 3],
    ]);
    await outbox.close();
  });

  it('a client whose held purchases were applied or released gets its share again', async () => {
    const store = new Store();
    const outbox = outboxOn(store, 3, 10);
    outbox.hold(orderFrom('sub:flooder', 'a1'));
    outbox.hold(orderFrom('sub:flooder', 'a2'));
    outbox.hold(orderFrom('sub:flooder', 'a3'));
    expect(outbox.holds('a3')).toBe(false);

    // A checkout retry applied one of them itself: one place frees up.
    outbox.release('a1');
    outbox.hold(orderFrom('sub:flooder', 'a3'));
    expect(outbox.holds('a3')).toBe(true);
    outbox.hold(orderFrom('sub:flooder', 'a4'));
    expect(outbox.holds('a4')).toBe(false);

    // The store answers again and the outbox drains: the whole share is free.
    store.up = true;
    await waitFor('the held purchases to be applied', () => outbox.size === 0, 5_000);
    expect(store.applied).toEqual(['a2', 'a3']);
    outbox.hold(orderFrom('sub:flooder', 'a4'));
    outbox.hold(orderFrom('sub:flooder', 'a5'));
    expect(outbox.holds('a4') && outbox.holds('a5')).toBe(true);
    await outbox.close();
  });

  it('a dropped purchase (a conflict) gives its place in the share back', async () => {
    const store = new Store();
    store.up = true;
    store.conflicts.add('a1');
    const outbox = outboxOn(store, 10, 1_000);
    // A share of 1.
    outbox.hold(orderFrom('sub:flooder', 'a1'));
    await outbox.drain();
    expect(outbox.holds('a1')).toBe(false);
    outbox.hold(orderFrom('sub:flooder', 'a2'));
    expect(outbox.holds('a2')).toBe(true);
    await outbox.close();
  });

  it('a full outbox still refuses every client, whatever is left of its share', async () => {
    const outbox = new PurchaseOutbox({ apply: async () => {}, maxSize: 4, retryEveryMs: 1_000, logger: silentLogger });
    // Purchases without a client (the durable event stream) are bounded by the outbox alone.
    for (const orderId of ['e1', 'e2', 'e3']) outbox.hold(order(orderId));
    expect(outbox.size).toBe(3);
    outbox.hold(orderFrom('sub:checkout', 'b1'));
    outbox.hold(orderFrom('sub:other', 'c1'));
    expect(outbox.holds('b1')).toBe(true);
    expect(outbox.holds('c1')).toBe(false);
    expect(outbox.size).toBe(4);
    await outbox.close();
  });
});
