import type { CacheEntry } from '../cache/cache-entry.js';
import type { Recompute } from './user-load.js';

/**
 * Freshness hook: which stored entry a recompute replaces, by entry key, so the recompute can measure drift against
 * it for free. Bounded by the recomputes in flight: each key is forgotten when its recompute settles, whether or not
 * it got to build a successor.
 */
export class ReplacedEntries {
  readonly #replacing = new Map<string, CacheEntry>();

  /** Remembers, for each recompute, the entry it replaces; returns what `forget` needs once they settle. */
  remember(
    replacements: ReadonlyArray<{ readonly keys: Recompute['keys']; readonly stored: CacheEntry | undefined }>,
  ): Remembered {
    const remembered: Array<[string, CacheEntry]> = [];
    for (const { keys, stored } of replacements) {
      if (stored === undefined) continue;
      this.#replacing.set(keys.entry, stored);
      remembered.push([keys.entry, stored]);
    }
    return remembered;
  }

  forget(remembered: Remembered): void {
    for (const [key, entry] of remembered) if (this.#replacing.get(key) === entry) this.#replacing.delete(key);
  }

  /** The entry a recompute of this key replaces, handed over once (its successor is being built). */
  take(key: string): CacheEntry | undefined {
    const entry = this.#replacing.get(key);
    if (entry !== undefined) this.#replacing.delete(key);
    return entry;
  }
}

export type Remembered = ReadonlyArray<readonly [string, CacheEntry]>;
