import { afterEach, describe, expect, it, vi } from 'vitest';
import { itemViews } from '../../src/graphql/list-views.js';
import type { CatalogLookup } from '../../src/graphql/context.js';
import type { RecommendedItemSelection } from '../../src/graphql/item-lists/plan.js';
import { ItemsWriter } from '../../src/graphql/item-lists/writer.js';
import type { CatalogItem } from '../../src/model/catalog-item.js';

const CATALOG: CatalogLookup = {
  get: (id): CatalogItem | undefined =>
    id.startsWith('i') ? { id, title: `title ${id}`, category: 'books' } : undefined,
};
const USUAL: readonly RecommendedItemSelection[] = [
  { key: 'rank', field: 'rank' },
  { key: 'score', field: 'score' },
  { key: 'item', field: 'item', item: [{ key: 'id', field: 'id' }] },
];

function views(ids: readonly string[], first = ids.length) {
  return itemViews(
    ids.map((itemId, index) => ({ itemId, rank: index + 1, score: 0.5 - index / 100 })),
    first,
    CATALOG,
  );
}

describe('ItemsWriter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes the JSON the selection asks, in its order and under its keys', () => {
    const writer = new ItemsWriter([
      { key: '__typename', field: '__typename' },
      {
        key: 'item',
        field: 'item',
        item: [
          { key: 'name', field: 'title' },
          { key: '__typename', field: '__typename' },
        ],
      },
      { key: 'position', field: 'rank' },
    ]);
    expect(writer.json(views(['i1', 'i2']))).toBe(
      '[{"__typename":"RecommendedItem","item":{"name":"title i1","__typename":"Item"},"position":1},' +
        '{"__typename":"RecommendedItem","item":{"name":"title i2","__typename":"Item"},"position":2}]',
    );
  });

  it('serialises the views of a cached list once: the next call for them takes the memo, even from another writer', () => {
    const list = views(['i1', 'i2', 'i3']);
    const [one, another] = [new ItemsWriter(USUAL), new ItemsWriter(USUAL)];
    const stringify = vi.spyOn(JSON, 'stringify');
    const json = one.json(list);
    expect(stringify).toHaveBeenCalledTimes(1);
    expect(another.json(list)).toBe(json);
    expect(stringify).toHaveBeenCalledTimes(1);
  });

  it('keeps one selection per views array: another selection is written, and then replaces it', () => {
    const list = views(['i1', 'i2']);
    const usual = new ItemsWriter(USUAL);
    const ranks = new ItemsWriter([{ key: 'rank', field: 'rank' }]);
    usual.json(list);
    const stringify = vi.spyOn(JSON, 'stringify');
    expect(ranks.json(list)).toBe('[{"rank":1},{"rank":2}]');
    expect(ranks.json(list)).toBe('[{"rank":1},{"rank":2}]');
    expect(stringify).toHaveBeenCalledTimes(1);
    usual.json(list);
    expect(stringify).toHaveBeenCalledTimes(2);
  });

  it('does not keep the JSON of a selection whose keys make it larger than a usual item would be', () => {
    const list = views(['i1', 'i2']);
    const longAlias = new ItemsWriter([{ key: 'r'.repeat(300), field: 'rank' }]);
    const stringify = vi.spyOn(JSON, 'stringify');
    const first = longAlias.json(list);
    expect(longAlias.json(list)).toBe(first);
    expect(stringify).toHaveBeenCalledTimes(2);
  });

  it('refuses what the executor would report as an error, and keeps nothing for views that are not memoised', () => {
    const writer = new ItemsWriter(USUAL);
    expect(writer.json(views(['i1', 'gone']))).toBeUndefined();
    const rankOnly = new ItemsWriter([{ key: 'rank', field: 'rank' }]);
    // The missing item is not selected: written, as the executor would, but not memoised (each request's own views).
    const unmemoised = views(['i1', 'gone']);
    expect(Object.isFrozen(unmemoised)).toBe(false);
    const stringify = vi.spyOn(JSON, 'stringify');
    expect(rankOnly.json(unmemoised)).toBe('[{"rank":1},{"rank":2}]');
    rankOnly.json(unmemoised);
    expect(stringify).toHaveBeenCalledTimes(2);
  });
});
