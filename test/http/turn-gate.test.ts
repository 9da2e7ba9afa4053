import { describe, expect, it } from 'vitest';
import { TurnGate } from '../../src/http/turn-gate.js';

describe('TurnGate', () => {
  it('opens after the microtasks and ticks queued behind a wait, not as one of them', async () => {
    const gate = new TurnGate();
    const order: string[] = [];
    const waited = gate.wait().then(() => order.push('gate'));
    void Promise.resolve().then(() => order.push('microtask'));
    process.nextTick(() => order.push('tick'));
    await waited;
    // Which of the tick and the microtask runs first depends on where the test itself runs; the gate is after both.
    expect(order).toHaveLength(3);
    expect(order.at(-1)).toBe('gate');
  });

  it('lets the waits of one turn resume in the order they were asked, stage by stage', async () => {
    const gate = new TurnGate();
    const order: string[] = [];
    const request = async (name: string): Promise<void> => {
      await gate.wait();
      order.push(`${name}:execute`);
      await Promise.resolve();
      order.push(`${name}:write`);
    };
    await Promise.all([request('a'), request('b'), request('c')]);
    expect(order).toEqual(['a:execute', 'b:execute', 'c:execute', 'a:write', 'b:write', 'c:write']);
  });

  it("puts a wait asked while the gate opens into the next turn, behind that turn's other callbacks", async () => {
    const gate = new TurnGate();
    const order: string[] = [];
    await new Promise<void>((done) => {
      void gate.wait().then(() => {
        order.push('first turn');
        setImmediate(() => order.push('queued before the second wait'));
        void gate.wait().then(() => {
          order.push('second turn');
          done();
        });
      });
    });
    expect(order).toEqual(['first turn', 'queued before the second wait', 'second turn']);
  });
});
