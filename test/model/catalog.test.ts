import { describe, it, expect } from 'vitest';
import { createCatalog, DEFAULT_CATALOG_SIZE } from '../../src/model/catalog.js';

const catalog = createCatalog();

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('createCatalog', () => {
  it('has at least 10,000 items by default, with ids i0 .. i<size-1>', () => {
    expect(DEFAULT_CATALOG_SIZE).toBeGreaterThanOrEqual(10_000);
    expect(catalog.size).toBe(DEFAULT_CATALOG_SIZE);
    expect(catalog.itemAt(0).id).toBe('i0');
    expect(catalog.itemAt(catalog.size - 1).id).toBe(`i${catalog.size - 1}`);
    expect(catalog.get('i9999')?.id).toBe('i9999');
  });

  it('honours an explicit size', () => {
    const small = createCatalog({ size: 50 });
    expect(small.size).toBe(50);
    expect(small.get('i49')).toBeDefined();
    expect(small.get('i50')).toBeUndefined();
    expect(small.factors.length).toBe(50 * small.factorDims);
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => createCatalog({ size: 0 })).toThrow(RangeError);
    expect(() => createCatalog({ size: 2.5 })).toThrow(RangeError);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const again = createCatalog();
    const other = createCatalog({ seed: 'another seed' });
    const sample = [0, 1, 2, 500, 9999];
    expect(sample.map((i) => again.itemAt(i))).toEqual(sample.map((i) => catalog.itemAt(i)));
    // Element-wise toEqual on 160k floats is slow; the arrays are compared as raw bytes instead.
    expect(sameBytes(again.factors, catalog.factors)).toBe(true);
    expect(sameBytes(again.popularity, catalog.popularity)).toBe(true);
    expect(sameBytes(other.factors, catalog.factors)).toBe(false);
    expect(sample.map((i) => other.itemAt(i).title)).not.toEqual(sample.map((i) => catalog.itemAt(i).title));
  });

  it('uses about 20 named categories, each item in one of them', () => {
    expect(catalog.categories).toHaveLength(20);
    expect(catalog.categories).toContain('books');
    expect(catalog.categories).toContain('garden');
    const used = new Set<string>();
    for (let i = 0; i < catalog.size; i++) used.add(catalog.itemAt(i).category);
    expect([...used].sort()).toEqual([...catalog.categories].sort());
  });

  it('titles every item with at least adjective, style and noun', () => {
    const shortTitles: string[] = [];
    for (let i = 0; i < catalog.size; i++) {
      const title = catalog.itemAt(i).title;
      if (title.trim().split(' ').length < 3) shortTitles.push(title);
    }
    expect(shortTitles).toEqual([]);
  });

  it('looks items up by id and index consistently', () => {
    expect(catalog.indexOf('i1234')).toBe(1234);
    expect(catalog.get('i1234')).toBe(catalog.itemAt(1234));
    expect(catalog.getMany(['i3', 'nope', 'i7'])).toEqual([catalog.itemAt(3), undefined, catalog.itemAt(7)]);
  });

  it('does not resolve malformed or out-of-range ids', () => {
    for (const id of ['', 'i', 'i01', 'i-1', 'x5', 'i5 ', `i${catalog.size}`, 'i1e3']) {
      expect(catalog.get(id)).toBeUndefined();
      expect(catalog.indexOf(id)).toBe(-1);
    }
    expect(() => catalog.itemAt(catalog.size)).toThrow(RangeError);
    expect(() => catalog.itemAt(-1)).toThrow(RangeError);
  });

  it('has skewed popularity: the top 1% of items hold a large share of it', () => {
    const shares = Array.from(catalog.popularity).sort((a, b) => b - a);
    const total = shares.reduce((sum, share) => sum + share, 0);
    expect(total).toBeCloseTo(1, 9);
    const topOnePercent = shares.slice(0, catalog.size / 100).reduce((sum, share) => sum + share, 0);
    expect(topOnePercent).toBeGreaterThan(0.4);
    expect(shares[0] ?? 0).toBeGreaterThan(1000 * (shares[shares.length - 1] ?? 0));
  });

  it('scatters the most popular items rather than putting them first', () => {
    let mostPopular = 0;
    for (let i = 1; i < catalog.size; i++) {
      if ((catalog.popularity[i] ?? 0) > (catalog.popularity[mostPopular] ?? 0)) mostPopular = i;
    }
    expect(mostPopular).not.toBe(0);
  });

  it('has finite factor vectors of norm near 1', () => {
    const dims = catalog.factorDims;
    expect(dims).toBe(16);
    expect(catalog.factors.length).toBe(catalog.size * dims);
    let totalNorm = 0;
    for (let i = 0; i < catalog.size; i++) {
      let squares = 0;
      for (let d = 0; d < dims; d++) squares += (catalog.factors[i * dims + d] ?? Number.NaN) ** 2;
      totalNorm += Math.sqrt(squares);
    }
    // A single NaN or Infinity anywhere makes the total non-finite.
    expect(Number.isFinite(totalNorm)).toBe(true);
    expect(totalNorm / catalog.size).toBeGreaterThan(0.7);
    expect(totalNorm / catalog.size).toBeLessThan(1.3);
  });
});
