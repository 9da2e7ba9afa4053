/**
 * A deterministic synthetic catalogue for the built-in model.
 *
 * Ids, titles and categories depend only on the catalogue seed, never on a model version, so a cached list computed
 * by one model version still names the same items after a model upgrade. Each item also carries a base latent
 * factor vector and a popularity share; model versions derive their own weights from these.
 */
import type { CatalogItem } from './catalog-item.js';
import { createRandom } from './prng.js';
import type { Random } from './prng.js';

export const DEFAULT_CATALOG_SIZE = 10_000;
export const DEFAULT_CATALOG_SEED = 'recs-gateway-catalog';
export const FACTOR_DIMS = 16;

/** Zipf exponent slightly above 1, so the top 1% of items hold well over half of all popularity. */
const ZIPF_EXPONENT = 1.1;
/**
 * How much of an item's factor vector comes from its category's centroid. Without a shared component, buying
 * books would pull a user's taste towards a handful of random vectors instead of towards books.
 */
const CATEGORY_FACTOR_SHARE = 0.6;

/** Nouns per category, so titles read like the category they are in. */
const NOUNS_BY_CATEGORY: Readonly<Record<string, readonly string[]>> = {
  books: ['Novel', 'Anthology', 'Memoir', 'Atlas', 'Cookbook', 'Field Guide'],
  garden: ['Planter', 'Trowel', 'Hose Reel', 'Seed Tray', 'Pruner', 'Trellis'],
  kitchen: ['Skillet', 'Chef Knife', 'Kettle', 'Cutting Board', 'Stock Pot', 'Whisk'],
  electronics: ['Headphones', 'Charger', 'Speaker', 'Smartwatch', 'Webcam', 'Power Bank'],
  toys: ['Puzzle', 'Building Set', 'Plush Bear', 'Kite', 'Train Set', 'Yo-Yo'],
  sports: ['Yoga Mat', 'Football', 'Racket', 'Dumbbell', 'Jump Rope', 'Water Bottle'],
  outdoors: ['Tent', 'Backpack', 'Lantern', 'Sleeping Bag', 'Compass', 'Camp Stove'],
  clothing: ['Jacket', 'Sweater', 'Scarf', 'Shirt', 'Raincoat', 'Hoodie'],
  shoes: ['Sneakers', 'Boots', 'Sandals', 'Loafers', 'Slippers', 'Trail Runners'],
  beauty: ['Face Cream', 'Lip Balm', 'Serum', 'Shampoo', 'Hand Lotion', 'Perfume'],
  health: ['Vitamins', 'Thermometer', 'First Aid Kit', 'Heat Pad', 'Pill Organizer', 'Massager'],
  grocery: ['Coffee Beans', 'Olive Oil', 'Tea Blend', 'Granola', 'Honey', 'Pasta'],
  pets: ['Dog Bed', 'Cat Tree', 'Leash', 'Chew Toy', 'Bird Feeder', 'Pet Bowl'],
  office: ['Notebook', 'Desk Lamp', 'Stapler', 'Fountain Pen', 'Organizer', 'Monitor Stand'],
  music: ['Guitar', 'Ukulele', 'Vinyl Record', 'Metronome', 'Drum Pad', 'Harmonica'],
  movies: ['Box Set', 'Blu-ray', 'Documentary', 'Film Collection', 'Director\u2019s Cut', 'Series'],
  games: ['Board Game', 'Card Game', 'Controller', 'Dice Set', 'Strategy Game', 'Chess Set'],
  automotive: ['Car Wax', 'Dash Cam', 'Seat Cover', 'Tire Gauge', 'Jump Starter', 'Floor Mats'],
  baby: ['Stroller', 'Baby Monitor', 'Crib Sheet', 'Teether', 'Bib Set', 'Play Mat'],
  jewelry: ['Necklace', 'Ring', 'Bracelet', 'Earrings', 'Pendant', 'Brooch'],
};

export const CATEGORIES: readonly string[] = Object.keys(NOUNS_BY_CATEGORY);

const ADJECTIVES: readonly string[] = [
  'Classic',
  'Compact',
  'Cozy',
  'Deluxe',
  'Durable',
  'Elegant',
  'Essential',
  'Everyday',
  'Handmade',
  'Heritage',
  'Lightweight',
  'Modern',
  'Nordic',
  'Organic',
  'Portable',
  'Premium',
  'Recycled',
  'Rustic',
  'Sleek',
  'Smart',
  'Sturdy',
  'Vintage',
  'Vivid',
  'Weekend',
];

const STYLES: readonly string[] = [
  'Amber',
  'Cedar',
  'Cobalt',
  'Coral',
  'Copper',
  'Graphite',
  'Indigo',
  'Ivory',
  'Juniper',
  'Linen',
  'Maple',
  'Midnight',
  'Moss',
  'Oak',
  'Pearl',
  'Sage',
];

export interface CatalogOptions {
  /** Number of items; defaults to 10,000. */
  readonly size?: number;
  /** Seeds titles, categories, popularity and base factors. Defaults to a fixed string. */
  readonly seed?: string;
}

export interface Catalog {
  readonly size: number;
  readonly seed: string;
  readonly categories: readonly string[];
  /** Length of each item's factor vector. */
  readonly factorDims: number;
  /** Base latent factors, row-major: item `i` occupies `[i * factorDims, (i + 1) * factorDims)`. */
  readonly factors: Float32Array;
  /** Each item's share of all popularity (Zipf-distributed, sums to 1). */
  readonly popularity: Float64Array;
  get(id: string): CatalogItem | undefined;
  /** One entry per id, in order; `undefined` for ids not in the catalogue. */
  getMany(ids: readonly string[]): Array<CatalogItem | undefined>;
  /** The item at a dense index in [0, size); throws a RangeError outside it. */
  itemAt(index: number): CatalogItem;
  /** The dense index of an item id, or -1 when the id is not in the catalogue. */
  indexOf(id: string): number;
}

/** Item ids are `i<index>`. */
export function itemIdAt(index: number): string {
  return `i${index}`;
}

export function createCatalog(options: CatalogOptions = {}): Catalog {
  const size = options.size ?? DEFAULT_CATALOG_SIZE;
  const seed = options.seed ?? DEFAULT_CATALOG_SEED;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`catalogue size must be a positive integer, got ${size}`);
  }

  // Separate streams per concern, so e.g. changing how factors are drawn never reshuffles titles.
  const items = createItems(size, createRandom(`${seed}:items`));
  const popularity = zipfPopularity(size, createRandom(`${seed}:popularity`));
  const factors = baseFactors(items, createRandom(`${seed}:factors`));

  // A map by id: `get` runs for every item of every list served (20 per hit), where a regex and a parse per id
  // showed in the hit path's profile.
  const byId = new Map<string, number>(items.map((item, index) => [item.id, index]));
  const indexOf = (id: string): number => byId.get(id) ?? -1;
  const get = (id: string): CatalogItem | undefined => {
    const index = byId.get(id);
    return index === undefined ? undefined : items[index];
  };

  return {
    size,
    seed,
    categories: CATEGORIES,
    factorDims: FACTOR_DIMS,
    factors,
    popularity,
    get,
    getMany: (ids) => ids.map(get),
    itemAt: (index) => {
      const item = items[index];
      if (item === undefined) throw new RangeError(`no catalogue item at index ${index} (size ${size})`);
      return item;
    },
    indexOf,
  };
}

function createItems(size: number, random: Random): CatalogItem[] {
  const items: CatalogItem[] = new Array<CatalogItem>(size);
  for (let index = 0; index < size; index++) {
    const category = random.pick(CATEGORIES);
    const noun = random.pick(NOUNS_BY_CATEGORY[category] ?? []);
    const title = `${random.pick(ADJECTIVES)} ${random.pick(STYLES)} ${noun}`;
    items[index] = Object.freeze({ id: itemIdAt(index), title, category });
  }
  return items;
}

/** Zipf shares over a shuffled rank order, so the most popular items are scattered rather than i0, i1, ... */
function zipfPopularity(size: number, random: Random): Float64Array {
  const rankOfItem = new Uint32Array(size);
  for (let i = 0; i < size; i++) rankOfItem[i] = i;
  for (let i = size - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const swap = rankOfItem[i] ?? 0;
    rankOfItem[i] = rankOfItem[j] ?? 0;
    rankOfItem[j] = swap;
  }

  const popularity = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    const share = 1 / Math.pow((rankOfItem[i] ?? 0) + 1, ZIPF_EXPONENT);
    popularity[i] = share;
    total += share;
  }
  for (let i = 0; i < size; i++) popularity[i] = (popularity[i] ?? 0) / total;
  return popularity;
}

/**
 * Gaussian factors with per-component variance 1/dims, so vectors have norm close to 1 and dot products stay on
 * the same scale whatever the dimension.
 */
function baseFactors(items: readonly CatalogItem[], random: Random): Float32Array {
  const componentScale = 1 / Math.sqrt(FACTOR_DIMS);
  const centroids = new Map<string, Float64Array>();
  for (const category of CATEGORIES) {
    const centroid = new Float64Array(FACTOR_DIMS);
    for (let d = 0; d < FACTOR_DIMS; d++) centroid[d] = random.gaussian() * componentScale;
    centroids.set(category, centroid);
  }

  const ownShare = Math.sqrt(1 - CATEGORY_FACTOR_SHARE * CATEGORY_FACTOR_SHARE);
  const factors = new Float32Array(items.length * FACTOR_DIMS);
  items.forEach((item, index) => {
    const centroid = centroids.get(item.category);
    const offset = index * FACTOR_DIMS;
    for (let d = 0; d < FACTOR_DIMS; d++) {
      const own = random.gaussian() * componentScale;
      factors[offset + d] = CATEGORY_FACTOR_SHARE * (centroid?.[d] ?? 0) + ownShare * own;
    }
  });
  return factors;
}
