import type { CacheEntry } from './cache-entry.js';
import type { RankedItem } from '../model/model.js';
import { MAX_RATE_PER_HOUR, MAX_SAMPLES, RATE_RESOLUTION } from './drift-estimator.js';

/**
 * Entry format 2 (`e2`): a packed binary layout, written as `e2:` + base64url so it survives every hop as text
 * (node-redis decodes replies as UTF-8 strings; Keyv and the Lua scripts pass strings through).
 *
 * Why: at 10 million users the entry is the cache's cost. Format 1 (a JSON array, scores with 17 significant digits)
 * cost ~700 bytes of Redis memory for a 20-item list; this layout costs ~230 (MEMORY USAGE, docs/benchmarks.md).
 *
 * Layout (varint = unsigned LEB128; zz = zigzag, so small negative numbers stay small):
 *
 *   flags                 1 byte: INTEGER_TIMES | CATALOGUE_IDS | MICRO_SCORES | DRIFT
 *   modelVersion          varint byte length, UTF-8
 *   times                 INTEGER_TIMES: zz varints generatedAt, freshUntil − generatedAt, staleUntil − freshUntil,
 *                         computeMs; else 4 float64 (little endian)
 *   item count            varint
 *   item ids              CATALOGUE_IDS (every id is `i<n>`, the built-in catalogue's form): varint n each;
 *                         else varint byte length + UTF-8 each
 *   scores                MICRO_SCORES (every score is a whole number of millionths): zz varint of the first in
 *                         millionths, then zz varints of each previous minus next (ranked lists descend, so these are
 *                         small); else float64 each
 *   drift                 DRIFT only: varint rate per hour in steps of 1e-4, varint observation count (3-5 bytes).
 *                         Added later: entries without it decode as before (no estimate); a release that predates it
 *                         reads an entry with it as a miss and recomputes.
 *
 * Every compact form is chosen only when it is exact for the entry at hand, so decoding always gives back the entry
 * that was encoded; the precision policy (scores to six decimals, see `quantiseScore`) is applied where lists are
 * made, not here. Anything that does not decode exactly (bad base64, a short or long buffer, an impossible count)
 * is reported as undefined: the caller reads it as a miss.
 */
export const PACKED_PREFIX = 'e2:';

const INTEGER_TIMES = 1;
const CATALOGUE_IDS = 2;
const MICRO_SCORES = 4;
/** The entry carries a drift estimate after its scores: zz varint rate in RATE_RESOLUTION steps, varint sample count. */
const DRIFT = 8;
const KNOWN_FLAGS = INTEGER_TIMES | CATALOGUE_IDS | MICRO_SCORES | DRIFT;
/** Scores in MICRO_SCORES are whole millionths. */
const SCORE_SCALE = 1e6;
/** Zigzag stays exact below 2^52; keep well inside it. */
const MAX_ZIGZAG_MAGNITUDE = 2 ** 50;
const CATALOGUE_ID = /^i(0|[1-9][0-9]{0,9})$/;
/** A bound on items that keeps a corrupt count from allocating a huge array before the buffer runs out. */
const MAX_ITEMS = 100_000;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Rounds a score to the precision entries keep in their compact form: six decimal places. */
export function quantiseScore(score: number): number {
  const micro = Math.round(score * SCORE_SCALE);
  const quantised = micro / SCORE_SCALE;
  return Number.isFinite(quantised) && Math.abs(micro) < MAX_ZIGZAG_MAGNITUDE ? quantised : score;
}

/**
 * What an entry keeps of a model's list: the same items, scores to six decimals. Applied where entries are made, so
 * a list served fresh from the model and the same list served later from the cache are identical, whichever store
 * holds it.
 */
export function quantiseItems(items: readonly RankedItem[]): RankedItem[] {
  return items.map((item) => ({ itemId: item.itemId, score: quantiseScore(item.score) }));
}

export function encodePackedEntry(entry: CacheEntry): string {
  const { items } = entry;
  const integerTimes =
    fitsZigzag(entry.generatedAt) &&
    fitsZigzag(entry.freshUntil - entry.generatedAt) &&
    fitsZigzag(entry.staleUntil - entry.freshUntil) &&
    fitsZigzag(entry.computeMs);
  const catalogueIds = items.every((item) => CATALOGUE_ID.test(item.itemId));
  const micro = microScores(items);
  const drift = entry.drift !== undefined && driftFits(entry.drift) ? entry.drift : undefined;

  const out = new ByteWriter(32 + items.length * 8);
  out.byte(
    (integerTimes ? INTEGER_TIMES : 0) |
      (catalogueIds ? CATALOGUE_IDS : 0) |
      (micro !== undefined ? MICRO_SCORES : 0) |
      (drift !== undefined ? DRIFT : 0),
  );
  out.text(entry.modelVersion);
  if (integerTimes) {
    out.zigzag(entry.generatedAt);
    out.zigzag(entry.freshUntil - entry.generatedAt);
    out.zigzag(entry.staleUntil - entry.freshUntil);
    out.zigzag(entry.computeMs);
  } else {
    for (const time of [entry.generatedAt, entry.freshUntil, entry.staleUntil, entry.computeMs]) out.float64(time);
  }
  out.varint(items.length);
  for (const item of items) {
    if (catalogueIds) out.varint(Number(item.itemId.slice(1)));
    else out.text(item.itemId);
  }
  if (micro !== undefined) {
    micro.forEach((value, index) => out.zigzag(index === 0 ? value : (micro[index - 1] as number) - value));
  } else {
    for (const item of items) out.float64(item.score);
  }
  if (drift !== undefined) {
    out.varint(Math.round(drift.ratePerHour / RATE_RESOLUTION));
    out.varint(drift.samples);
  }
  return PACKED_PREFIX + out.toBase64Url();
}

/** The entry in `raw` (which starts with PACKED_PREFIX), or undefined when it does not decode exactly. */
export function decodePackedEntry(raw: string): CacheEntry | undefined {
  const payload = raw.slice(PACKED_PREFIX.length);
  const bytes = Buffer.from(payload, 'base64url');
  // Node skips characters that are not base64url instead of failing: a length that does not match says it did.
  if (bytes.length !== Math.floor((payload.length * 3) / 4) || payload.length % 4 === 1) return undefined;
  const input = new ByteReader(bytes);
  const flags = input.byte();
  if (flags === undefined || (flags & ~KNOWN_FLAGS) !== 0) return undefined;
  const modelVersion = input.text();
  if (modelVersion === undefined) return undefined;

  let generatedAt: number | undefined;
  let freshUntil: number | undefined;
  let staleUntil: number | undefined;
  let computeMs: number | undefined;
  if ((flags & INTEGER_TIMES) !== 0) {
    generatedAt = input.zigzag();
    const freshFor = input.zigzag();
    const grace = input.zigzag();
    computeMs = input.zigzag();
    if (generatedAt !== undefined && freshFor !== undefined && grace !== undefined) {
      freshUntil = generatedAt + freshFor;
      staleUntil = freshUntil + grace;
    }
  } else {
    generatedAt = input.float64();
    freshUntil = input.float64();
    staleUntil = input.float64();
    computeMs = input.float64();
  }
  if (!isFinite(generatedAt) || !isFinite(freshUntil) || !isFinite(staleUntil) || !isFinite(computeMs))
    return undefined;

  const count = input.varint();
  if (count === undefined || count > MAX_ITEMS || count > input.remaining) return undefined;
  const ids = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    const id = (flags & CATALOGUE_IDS) !== 0 ? catalogueId(input.varint()) : input.text();
    if (id === undefined) return undefined;
    ids[index] = id;
  }
  const items = new Array<RankedItem>(count);
  let previous = 0;
  for (let index = 0; index < count; index++) {
    let score: number | undefined;
    if ((flags & MICRO_SCORES) !== 0) {
      const step = input.zigzag();
      if (step === undefined) return undefined;
      previous = index === 0 ? step : previous - step;
      score = previous / SCORE_SCALE;
    } else {
      score = input.float64();
      if (!isFinite(score)) return undefined;
    }
    items[index] = { itemId: ids[index] as string, score };
  }
  if ((flags & DRIFT) !== 0) {
    const steps = input.varint();
    const samples = input.varint();
    if (
      steps === undefined ||
      samples === undefined ||
      steps * RATE_RESOLUTION > MAX_RATE_PER_HOUR ||
      samples > MAX_SAMPLES
    )
      return undefined;
    if (input.remaining !== 0) return undefined;
    return {
      modelVersion,
      generatedAt,
      freshUntil,
      staleUntil,
      computeMs,
      items,
      drift: { ratePerHour: steps * RATE_RESOLUTION, samples },
    };
  }
  if (input.remaining !== 0) return undefined;
  return { modelVersion, generatedAt, freshUntil, staleUntil, computeMs, items };
}

// Private: choosing the compact forms.

/** An estimate the layout can hold exactly (drift-estimator.ts keeps its rates quantised to RATE_RESOLUTION). */
function driftFits(drift: NonNullable<CacheEntry['drift']>): boolean {
  const steps = Math.round(drift.ratePerHour / RATE_RESOLUTION);
  return (
    Number.isSafeInteger(steps) &&
    steps >= 0 &&
    steps * RATE_RESOLUTION <= MAX_RATE_PER_HOUR &&
    Number.isInteger(drift.samples) &&
    drift.samples >= 0 &&
    drift.samples <= MAX_SAMPLES
  );
}

function fitsZigzag(value: number): boolean {
  return Number.isSafeInteger(value) && Math.abs(value) < MAX_ZIGZAG_MAGNITUDE;
}

/** Scores as whole millionths when that is exact for every one (and the differences stay exact), else undefined. */
function microScores(items: readonly RankedItem[]): number[] | undefined {
  const micro: number[] = [];
  for (const item of items) {
    const value = Math.round(item.score * SCORE_SCALE);
    // Half the zigzag range, so the differences between neighbours fit as well.
    if (!fitsZigzag(value * 2) || value / SCORE_SCALE !== item.score || Object.is(item.score, -0)) return undefined;
    micro.push(value);
  }
  return micro;
}

/**
 * Catalogue ids already built, by index: a hit decodes up to RECS_LIST_SIZE ids, and the same few thousand items
 * recur across every list, so each id string is made once instead of on every read. Bounded by INTERNED_IDS.
 */
const INTERNED_IDS = 1 << 17;
const internedIds: Array<string | undefined> = [];

function catalogueId(index: number | undefined): string | undefined {
  if (index === undefined || index > 9_999_999_999) return undefined;
  if (index >= INTERNED_IDS) return `i${index}`;
  let id = internedIds[index];
  if (id === undefined) {
    id = `i${index}`;
    internedIds[index] = id;
  }
  return id;
}

function isFinite(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

class ByteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  /** Unsigned LEB128, for whole numbers up to 2^53 (arithmetic, not 32-bit bit operations). */
  varint(value: number): void {
    this.#reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.#bytes[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes[this.#length++] = rest;
  }

  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float64(value: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
  }

  text(value: string): void {
    const encoded = utf8.encode(value);
    this.varint(encoded.length);
    this.#reserve(encoded.length);
    this.#bytes.set(encoded, this.#length);
    this.#length += encoded.length;
  }

  toBase64Url(): string {
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset, this.#length).toString('base64url');
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  byte(): number | undefined {
    return this.#offset < this.#bytes.length ? this.#bytes[this.#offset++] : undefined;
  }

  varint(): number | undefined {
    let value = 0;
    let scale = 1;
    // At most 8 bytes: 56 bits covers every safe integer.
    for (let read = 0; read < 8; read++) {
      const byte = this.byte();
      if (byte === undefined) return undefined;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return Number.isSafeInteger(value) ? value : undefined;
      scale *= 0x80;
    }
    return undefined;
  }

  zigzag(): number | undefined {
    const value = this.varint();
    if (value === undefined) return undefined;
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  float64(): number | undefined {
    if (this.remaining < 8) return undefined;
    const value = this.#view.getFloat64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  text(): string | undefined {
    const length = this.varint();
    if (length === undefined || length > this.remaining) return undefined;
    const start = this.#offset;
    this.#offset += length;
    // Short ASCII (model versions, most ids): char codes directly, without a TextDecoder call.
    if (length <= 32) {
      let ascii = '';
      for (let index = start; index < start + length; index++) {
        const byte = this.#bytes[index] as number;
        if (byte >= 0x80) break;
        ascii += String.fromCharCode(byte);
      }
      if (ascii.length === length) return ascii;
    }
    const slice = this.#bytes.subarray(start, start + length);
    try {
      return utf8Strict.decode(slice);
    } catch {
      return undefined;
    }
  }
}
