/**
 * Reads asked in one turn of the event loop, sent as one: every caller's keys go into a single read at the turn's
 * check phase, and each caller gets its own slice of the answer (or the read's error).
 *
 * Why: a cache hit's only store call is one `MGET` of two keys, and each call costs far more than its keys, a timer
 * bounding it, a race, the client's command encoding and queueing, its reply parsing, a handful of promises. The
 * requests of one turn reach the store together (`http/turn-gate.ts`), so one call for all of them pays that once.
 */
export class CoalescedReads<V> {
  readonly #read: (keys: readonly string[]) => Promise<readonly V[]>;
  #keys: string[] = [];
  #callers: Caller<V>[] = [];

  constructor(read: (keys: readonly string[]) => Promise<readonly V[]>) {
    this.#read = read;
  }

  read(keys: readonly string[]): Promise<V[]> {
    if (this.#callers.length === 0) setImmediate(this.#send);
    return new Promise<V[]>((resolve, reject) => {
      this.#callers.push({ from: this.#keys.length, to: this.#keys.length + keys.length, resolve, reject });
      for (const key of keys) this.#keys.push(key);
    });
  }

  readonly #send = (): void => {
    const keys = this.#keys;
    const callers = this.#callers;
    this.#keys = [];
    this.#callers = [];
    this.#read(keys).then(
      (values) => {
        for (const caller of callers) caller.resolve(values.slice(caller.from, caller.to));
      },
      (error: unknown) => {
        for (const caller of callers) caller.reject(error);
      },
    );
  };
}

interface Caller<V> {
  readonly from: number;
  readonly to: number;
  resolve(values: V[]): void;
  reject(error: unknown): void;
}
