/**
 * The drift estimate travels inside the packed entry: exactly, in a few bytes, optional (entries written without it,
 * by this release or an older one, still decode), and a corrupt estimate reads as a miss like any corrupt entry.
 */
import { describe, expect, it } from 'vitest';
import { decodeStored, encodeEntry } from '../../src/cache/entry-codec.js';
import { decodePackedEntry, encodePackedEntry } from '../../src/cache/packed-entry.js';
import { observeDrift } from '../../src/cache/drift-estimator.js';
import type { DriftEstimate } from '../../src/cache/drift-estimator.js';
import { makeEntry } from '../cache/fixtures.js';

const catalogueEntry = makeEntry({
  items: Array.from({ length: 20 }, (_, index) => ({ itemId: `i${index * 37}`, score: 1 - index / 64 })),
});

describe('drift estimate in the packed entry', () => {
  it('round-trips every estimate the estimator produces, exactly', () => {
    let estimate: DriftEstimate | undefined;
    for (const [divergence, ageMs] of [
      [0.05, 600_000],
      [0.31, 120_000],
      [0.99, 1],
      [0, 3_600_000],
      [0.2, 7_777],
    ] as const) {
      estimate = observeDrift(estimate, divergence, ageMs);
      const entry = { ...catalogueEntry, drift: estimate };
      expect(decodeStored(encodeEntry(entry))).toEqual({ kind: 'entry', entry });
    }
  });

  it('costs a handful of characters, and nothing when absent', () => {
    const without = encodePackedEntry(catalogueEntry);
    const withDrift = encodePackedEntry({ ...catalogueEntry, drift: { ratePerHour: 0.4321, samples: 200 } });
    expect(withDrift.length - without.length).toBeLessThanOrEqual(8);
    expect(decodePackedEntry(without)).toEqual(catalogueEntry);
    expect(decodePackedEntry(without)).not.toHaveProperty('drift');
  });

  it('reads a truncated or out-of-range estimate as a miss', () => {
    const encoded = encodePackedEntry({ ...catalogueEntry, drift: { ratePerHour: 1.5, samples: 3 } });
    const bytes = Buffer.from(encoded.slice(3), 'base64url');
    expect(decodePackedEntry(`e2:${bytes.subarray(0, bytes.length - 1).toString('base64url')}`)).toBeUndefined();
    const tooMany = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([0xff, 0x7f])]);
    expect(decodePackedEntry(`e2:${tooMany.toString('base64url')}`)).toBeUndefined();
  });
});
