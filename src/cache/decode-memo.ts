import { LRUCache } from 'lru-cache';
import { decodeStored } from './entry-codec.js';
import type { StoredValue } from './entry-codec.js';

/** Measured: a decoded item with its ranked served item costs about 130 bytes of heap (14 KB for 100 items). */
const DECODED_BYTES_PER_ITEM = 130;

/**
 * Decoded values by their exact stored text, shared by the stores that keep entries as text (Redis, and the
 * embedded store, which holds the same packed strings).
 *
 * Decoding a list (100 items by default) and ranking it again on every read was most of what a hit cost beyond
 * looking the bytes up; the same bytes always decode to the same value, so a hot user's list is decoded once for as
 * long as its store holds those bytes. It answers nothing by itself: every read still looks the bytes up in the
 * store, and a changed or deleted list is different bytes or none. Bounded by estimated bytes, and frozen: users
 * whose lists are byte-identical share one decoded value, so no caller may change what it is handed.
 */
export class DecodeMemo {
  readonly #decoded: LRUCache<string, StoredValue>;

  constructor(maxBytes: number) {
    this.#decoded = new LRUCache<string, StoredValue>({ maxSize: maxBytes, sizeCalculation: decodedSize });
  }

  /**
   * The value `raw` holds, or undefined when it does not decode (a miss to the caller, never an error). With
   * `remember` false, a value not memoised yet is decoded for this caller alone and not kept: keeping a list costs
   * more than decoding it (it survives young-generation collections and is copied), which only pays for lists read
   * again soon.
   */
  decode(raw: string, remember = true): StoredValue | undefined {
    let value = this.#decoded.get(raw);
    if (value === undefined) {
      value = decodeStored(raw);
      if (value !== undefined && remember) this.#decoded.set(raw, deepFreeze(value));
    }
    return value;
  }

  /** Decoded lists held now. */
  get size(): number {
    return this.#decoded.size;
  }

  clear(): void {
    this.#decoded.clear();
  }
}

function decodedSize(value: StoredValue, raw: string): number {
  const items = value.kind === 'entry' ? value.entry.items.length : value.state.bought.length;
  // UTF-16 key plus the decoded objects; at least 1, as lru-cache requires.
  return raw.length * 2 + 200 + items * DECODED_BYTES_PER_ITEM;
}

/** Freezes a decoded value and everything in it (a handful of plain objects and arrays, once per distinct bytes). */
function deepFreeze(value: StoredValue): StoredValue {
  if (value.kind === 'entry') {
    value.entry.items.forEach((item) => Object.freeze(item));
    Object.freeze(value.entry.items);
    Object.freeze(value.entry);
  } else {
    value.state.bought.forEach((purchase) => Object.freeze(purchase));
    Object.freeze(value.state.bought);
    Object.freeze(value.state);
  }
  return Object.freeze(value);
}
