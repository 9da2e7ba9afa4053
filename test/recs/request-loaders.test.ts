import { describe, expect, it } from 'vitest';
import { createRequestLoaders } from '../../src/recs/request-loaders.js';
import type { ServedList } from '../../src/recs/served-list.js';

describe('createRequestLoaders', () => {
  it('gives every user of a batch that failed as a whole its error, and keeps it: loading them again asks nobody', async () => {
    const batches: string[][] = [];
    const loaders = createRequestLoaders(
      {
        loadMany: async (userIds) => {
          batches.push([...userIds]);
          throw new Error('the service failed');
        },
      },
      100,
    );
    const first = await Promise.allSettled([loaders.recommendations.load('u1'), loaders.recommendations.load('u2')]);
    expect(first.map((result) => (result as PromiseRejectedResult).reason as Error)).toEqual([
      new Error('the service failed'),
      new Error('the service failed'),
    ]);
    // The same request running its operation again (the fast path's fallback) meets the same errors, no new load.
    await expect(loaders.recommendations.load('u1')).rejects.toThrow('the service failed');
    expect(batches).toEqual([['u1', 'u2']]);
  });

  it('tells of every list served, and serves a user once per request', async () => {
    const served: string[] = [];
    let loads = 0;
    const loaders = createRequestLoaders(
      {
        loadMany: async (userIds) => {
          loads += 1;
          return userIds.map((userId) => ({ userId }) as unknown as ServedList);
        },
      },
      100,
      (list) => served.push(list.userId),
    );
    await Promise.all([loaders.recommendations.load('u1'), loaders.recommendations.load('u2')]);
    await loaders.recommendations.load('u1');
    expect(served).toEqual(['u1', 'u2']);
    expect(loads).toBe(1);
  });
});
