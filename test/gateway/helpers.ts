/**
 * Shared helpers for the gateway tests (not a test file: no `.test.` in the name). Everything here talks to a
 * real gateway over HTTP, or to a redis-server the test started itself.
 */
import { expect } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';
import { redisCli, startRedis } from '../support/redis-server.js';
import { CountingModel } from '../support/models.js';
import type { RedisProcess } from '../support/redis-server.js';

export { CountingModel } from '../support/models.js';

export const LIST_FIELDS = `userId modelVersion generatedAt ageSeconds source items { rank score item { id title category } }`;

export const READ_QUERY = `query Read($userId: ID!, $first: Int) {
  recommendations(userId: $userId, first: $first) { ${LIST_FIELDS} }
}`;

export const PURCHASE_MUTATION = `mutation Buy($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) { userId itemId orderId invalidated }
}`;

export const PURCHASE_WITH_LIST_MUTATION = `mutation BuyAndList($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) { userId itemId orderId invalidated recommendations { ${LIST_FIELDS} } }
}`;

export type Source = 'CACHE' | 'MODEL' | 'STALE';

export interface ListItem {
  rank: number;
  score: number;
  item: { id: string; title: string; category: string };
}

export interface RecList {
  userId: string;
  modelVersion: string;
  generatedAt: string;
  ageSeconds: number;
  source: Source;
  items: ListItem[];
}

export interface PurchasePayload {
  userId: string;
  itemId: string;
  orderId: string;
  invalidated: boolean;
  recommendations?: RecList;
}

/** Formats a body for an assertion message. */
export function describeBody(body: GraphQLBody): string {
  return JSON.stringify(body, (key, value: unknown) => (key === 'stacktrace' ? undefined : value)).slice(0, 2000);
}

/** One `recommendations` read over HTTP; fails the test on any GraphQL error or non-200 status. */
export async function readRecs(url: string, userId: string, first?: number): Promise<RecList> {
  const variables: Record<string, unknown> = { userId };
  if (first !== undefined) variables.first = first;
  const { status, body } = await postGraphQL(url, READ_QUERY, variables);
  expect(body.errors, describeBody(body)).toBeUndefined();
  expect(status).toBe(200);
  const list = body.data?.recommendations as RecList | undefined;
  expect(list, describeBody(body)).toBeDefined();
  return list as RecList;
}

/** `recordPurchase` over HTTP; fails the test on any GraphQL error. */
export async function buy(
  url: string,
  input: { userId: string; itemId: string; orderId: string },
  withList = false,
): Promise<PurchasePayload> {
  const { status, body } = await postGraphQL(url, withList ? PURCHASE_WITH_LIST_MUTATION : PURCHASE_MUTATION, {
    input,
  });
  expect(body.errors, describeBody(body)).toBeUndefined();
  expect(status).toBe(200);
  return body.data?.recordPurchase as PurchasePayload;
}

/** The item ids of a served list, in rank order (any list shape a client gets back). */
export function itemIds(list: { readonly items: ReadonlyArray<{ readonly item: { readonly id: string } }> }): string[] {
  return list.items.map((entry) => entry.item.id);
}

export { sleep } from '../support/wait.js';

/** `KEYS *` on a private test server, sorted; an empty reply is no keys. */
export async function keysOn(port: number, pattern = '*'): Promise<string[]> {
  const reply = await redisCli(port, 'KEYS', pattern);
  return reply === '' ? [] : reply.split('\n').sort();
}

/**
 * Sorts `KEYS *` into per-user list entries, their recompute leases (`<entry>:lease`, which may outlive the write
 * they guarded until they lapse) and the gateway's shared bookkeeping keys (`<prefix>recs:active`, the
 * active-users log). Tests about entries look at `entries` and only check that the rest belongs to them.
 */
export function classifyKeys(keys: readonly string[]): { entries: string[]; leases: string[]; shared: string[] } {
  const isLease = (key: string) => key.endsWith(':lease');
  // `recs:active`, and the budget counters shared by replicas (`recs:limits:<budget>:<client>`).
  const isShared = (key: string) => /(^|[^}])recs:active$/.test(key) || /(^|:)recs:limits:/.test(key);
  return {
    entries: keys.filter((key) => !isLease(key) && !isShared(key)),
    leases: keys.filter(isLease),
    shared: keys.filter(isShared),
  };
}

/**
 * The list entries in `keys` are exactly `entries`; every lease is the lease of one of them; every shared key is
 * `recs:active` under one of the `prefixes` (default: no prefix).
 */
export function expectEntryKeys(
  keys: readonly string[],
  entries: readonly string[],
  prefixes: readonly string[] = [''],
): void {
  const sorted = classifyKeys(keys);
  expect(sorted.entries).toEqual([...entries].sort());
  for (const lease of sorted.leases) expect(entries).toContain(lease.slice(0, -':lease'.length));
  for (const shared of sorted.shared) {
    const name = /recs:limits:/.test(shared)
      ? shared.slice(0, shared.indexOf('recs:limits:'))
      : shared.slice(0, -'recs:active'.length);
    expect(prefixes, shared).toContain(name);
  }
}

/**
 * Cleanups run last-in first-out and one at a time, so a gateway is closed before the Redis it talks to is stopped.
 * A failing cleanup does not keep the others from running.
 */
export class Cleanups {
  readonly #steps: Array<() => Promise<unknown>> = [];

  add(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}

/**
 * A redis-server of its own and one in-process gateway on it, with a counting built-in model (v1): the set-up of
 * the tests that count what reaches Redis and the model. Both are stopped by `cleanups`, the gateway first.
 */
export async function startRedisGateway(
  cleanups: Cleanups,
  env: Record<string, string> = {},
): Promise<{ redis: RedisProcess; gateway: InProcessGateway; model: CountingModel }> {
  const redis = await startRedis();
  cleanups.add(() => redis.stop());
  const model = CountingModel.builtin('v1');
  const gateway = await startGateway({ REDIS_URL: redis.url, ...env }, { model });
  cleanups.add(() => gateway.close());
  return { redis, gateway, model };
}

/** Rejects when `promise` takes longer than `ms`: a hang guard, so a hanging request fails the test instead of timing it out. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}
