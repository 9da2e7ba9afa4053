import { BuiltinModel } from '../../src/model/builtin-model.js';
import type { Model, RankedList } from '../../src/model/model.js';

/*
 * Model decorators for tests: each wraps a real model (usually BuiltinModel) and changes one thing about it,
 * the way bentocache's ChaosCache wraps a real driver.
 */

/** Records every call and passes it on, so a test can count model calls and see which users each call scored. */
export class CountingModel implements Model {
  /** The users of each `scoreAndRank` call, in call order: which users each call scored. */
  readonly scoreCalls: Array<readonly string[]> = [];
  /** Every purchase passed on to the model, in order. */
  readonly purchases: Array<{ userId: string; itemId: string }> = [];
  readonly #inner: Model;

  constructor(inner: Model) {
    this.#inner = inner;
  }

  /** A counting `BuiltinModel` of this version. */
  static builtin(version: string): CountingModel {
    return new CountingModel(new BuiltinModel({ version }));
  }

  /** `scoreAndRank` calls so far. */
  get calls(): number {
    return this.scoreCalls.length;
  }

  /** Users asked for over all calls so far. */
  get users(): number {
    return this.scoreCalls.reduce((sum, userIds) => sum + userIds.length, 0);
  }

  currentVersion(): string {
    return this.#inner.currentVersion();
  }

  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    this.scoreCalls.push([...userIds]);
    return this.#inner.scoreAndRank(userIds, limit);
  }

  async recordPurchase(userId: string, itemId: string): Promise<void> {
    this.purchases.push({ userId, itemId });
    return this.#inner.recordPurchase(userId, itemId);
  }

  async ping(): Promise<void> {
    await this.#inner.ping?.();
  }

  async close(): Promise<void> {
    return this.#inner.close();
  }

  /** Forgets the calls and purchases recorded so far. */
  reset(): void {
    this.scoreCalls.length = 0;
    this.purchases.length = 0;
  }
}

/**
 * Computes at once (so the list reflects what the model knew when the call began), then holds the answer until
 * released: "the model is mid-computation" made deterministic.
 */
export class GatedModel implements Model {
  #gates: Array<() => void> = [];
  #entered: Array<() => void> = [];
  held = false;
  constructor(private readonly inner: Model) {}
  currentVersion(): string {
    return this.inner.currentVersion();
  }
  /** Resolves when a computation is being held. */
  entered(): Promise<void> {
    return new Promise((resolve) => this.#entered.push(resolve));
  }
  release(): void {
    const gates = this.#gates;
    this.#gates = [];
    for (const open of gates) open();
  }
  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    const result = await this.inner.scoreAndRank(userIds, limit);
    if (!this.held) return result;
    const gate = new Promise<void>((resolve) => this.#gates.push(resolve));
    for (const notify of this.#entered.splice(0)) notify();
    await gate;
    return result;
  }
  recordPurchase(userId: string, itemId: string): Promise<void> {
    return this.inner.recordPurchase(userId, itemId);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Fails every call while `failing` is set: a model service that is down. */
export class FlakyModel implements Model {
  failing = false;
  constructor(private readonly inner: Model) {}
  currentVersion(): string {
    return this.inner.currentVersion();
  }
  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    if (this.failing) throw new Error('model service unavailable (test)');
    return this.inner.scoreAndRank(userIds, limit);
  }
  recordPurchase(userId: string, itemId: string): Promise<void> {
    return this.inner.recordPurchase(userId, itemId);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Never learns purchases: a model whose own data lags behind the checkout. */
export class LaggingModel implements Model {
  constructor(private readonly inner: Model) {}
  currentVersion(): string {
    return this.inner.currentVersion();
  }
  scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    return this.inner.scoreAndRank(userIds, limit);
  }
  async recordPurchase(): Promise<void> {}
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The built-in model with two kinds of broken users: `down-*` fail in the model (MODEL_UNAVAILABLE), `ghost-*` get a
 * list naming an item the catalogue does not know (a field error that nulls its way up the non-null chain).
 */
export class PartlyBrokenModel implements Model {
  readonly #inner = new BuiltinModel({ version: 'v1' });
  currentVersion(): string {
    return this.#inner.currentVersion();
  }
  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    const lists = await this.#inner.scoreAndRank(userIds, limit);
    return lists.map((list, index) => {
      const userId = userIds[index] as string;
      if (userId.startsWith('down-')) return new Error(`model failed for ${userId} (test)`);
      if (userId.startsWith('ghost-') && !(list instanceof Error)) {
        return { ...list, items: [{ itemId: 'i99999999', score: 9 }, ...list.items.slice(1)] };
      }
      return list;
    });
  }
  recordPurchase(userId: string, itemId: string): Promise<void> {
    return this.#inner.recordPurchase(userId, itemId);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
