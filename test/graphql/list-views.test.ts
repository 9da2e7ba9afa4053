import { describe, expect, it } from 'vitest';
import { itemViews } from '../../src/graphql/list-views.js';
import type { CatalogLookup } from '../../src/graphql/context.js';
import type { CatalogItem } from '../../src/model/catalog-item.js';
import type { ServedItem } from '../../src/recs/served-list.js';

function catalogOf(ids: readonly string[]): CatalogLookup {
  const items = new Map<string, CatalogItem>(ids.map((id) => [id, { id, title: `title ${id}`, category: 'books' }]));
  return { get: (id) => items.get(id) };
}

function served(ids: readonly string[]): ServedItem[] {
  return ids.map((itemId, index) => ({ itemId, rank: index + 1, score: 1 - index / 10 }));
}

describe('itemViews', () => {
  const ids = ['i1', 'i2', 'i3', 'i4', 'i5'];
  const catalog = catalogOf(ids);

  it('gives back the very same frozen views for the same served items and first, whatever other firsts are asked between', () => {
    const items = served(ids);
    const three = itemViews(items, 3, catalog);
    const two = itemViews(items, 2, catalog);
    expect(three.map((view) => view.rank)).toEqual([1, 2, 3]);
    expect(two.map((view) => view.rank)).toEqual([1, 2]);
    expect(Object.isFrozen(three)).toBe(true);
    expect(itemViews(items, 3, catalog)).toBe(three);
    expect(itemViews(items, 2, catalog)).toBe(two);
  });

  it('shares the views of every first at or past the list length', () => {
    const items = served(ids);
    expect(itemViews(items, 50, catalog)).toBe(itemViews(items, 5, catalog));
    expect(itemViews(items, 100, catalog)).toHaveLength(5);
  });

  it('builds new views for another catalogue, and for other served items with equal content', () => {
    const items = served(ids);
    const views = itemViews(items, 3, catalog);
    expect(itemViews(items, 3, catalogOf(ids))).not.toBe(views);
    expect(itemViews(served(ids), 3, catalog)).not.toBe(views);
  });

  it('keeps nothing when an item is missing from the catalogue: each call gets its own error', () => {
    const items = served(['i1', 'gone', 'i2']);
    const first = itemViews(items, 3, catalog);
    const second = itemViews(items, 3, catalog);
    expect(first[1]?.item).toEqual(new Error('item gone is not in the catalogue'));
    expect(second).not.toBe(first);
    expect(second[1]?.item).not.toBe(first[1]?.item);
    expect(Object.isFrozen(first)).toBe(false);
  });
});
