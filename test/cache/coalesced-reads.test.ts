import { describe, expect, it } from 'vitest';
import { CoalescedReads } from '../../src/cache/coalesced-reads.js';

/** A store whose read answers each key with its upper-case form, and notes every call it got. */
function upperCaseStore(fail?: (keys: readonly string[]) => boolean) {
  const calls: string[][] = [];
  const reads = new CoalescedReads<string>(async (keys) => {
    calls.push([...keys]);
    if (fail?.(keys) === true) throw new Error(`read of ${keys.join(',')} failed`);
    return keys.map((key) => key.toUpperCase());
  });
  return { calls, reads };
}

describe('CoalescedReads', () => {
  it('sends the reads of one turn as one, in the order asked, and gives each caller its own slice', async () => {
    const { calls, reads } = upperCaseStore();
    const answers = await Promise.all([reads.read(['a']), reads.read(['b', 'c']), reads.read([]), reads.read(['d'])]);
    expect(calls).toEqual([['a', 'b', 'c', 'd']]);
    expect(answers).toEqual([['A'], ['B', 'C'], [], ['D']]);
  });

  it('sends a read asked after the turn was sent in a call of its own', async () => {
    const { calls, reads } = upperCaseStore();
    const first = reads.read(['a']);
    await first;
    const second = await reads.read(['b']);
    expect(second).toEqual(['B']);
    expect(calls).toEqual([['a'], ['b']]);
  });

  it("rejects every caller of a failed call with its error, and the next turn's reads go again", async () => {
    const { calls, reads } = upperCaseStore((keys) => keys.includes('bad'));
    const results = await Promise.allSettled([reads.read(['a']), reads.read(['bad'])]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(results.map((result) => (result as PromiseRejectedResult).reason as Error)).toEqual([
      new Error('read of a,bad failed'),
      new Error('read of a,bad failed'),
    ]);
    await expect(reads.read(['c'])).resolves.toEqual(['C']);
    expect(calls).toEqual([['a', 'bad'], ['c']]);
  });
});
