import { describe, expect, it } from 'vitest';
import { RequestIdsByUser } from '../../src/model/request-ids.js';

describe('RequestIdsByUser', () => {
  it('names the request loading a user while it loads, and forgets it afterwards, even on failure', async () => {
    const ids = new RequestIdsByUser();
    let seen: string | undefined;
    await ids.during(['u1', 'u2'], 'req-a', async () => {
      seen = ids.of(['u9', 'u2']);
    });
    expect(seen).toBe('req-a');
    expect(ids.of(['u1'])).toBeUndefined();
    await expect(ids.during(['u3'], 'req-b', async () => Promise.reject(new Error('model down')))).rejects.toThrow(
      'model down',
    );
    expect(ids.size).toBe(0);
  });

  it('a user loaded by two requests at once stays attributed until the last is done', async () => {
    const ids = new RequestIdsByUser();
    let releaseA: () => void = () => {};
    const a = ids.during(['u1'], 'req-a', () => new Promise<void>((resolve) => (releaseA = resolve)));
    let releaseB: () => void = () => {};
    const b = ids.during(['u1'], 'req-b', () => new Promise<void>((resolve) => (releaseB = resolve)));
    expect(ids.of(['u1'])).toBe('req-b');
    releaseA();
    await a;
    // The earlier request finishing does not take the later one's attribution with it.
    expect(ids.of(['u1'])).toBe('req-b');
    releaseB();
    await b;
    expect(ids.size).toBe(0);
  });
});
