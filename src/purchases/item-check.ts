import type { CatalogItem } from '../model/catalog-item.js';

/**
 * Which item ids a purchase may name. With the built-in model the gateway holds the whole catalogue, so an id it
 * does not know is a made-up item and is refused before anything is recorded. With a remote model (MODEL_URL) the
 * catalogue is the ranking service's: it may list items this process has not heard of yet (a new product), so the
 * gateway cannot tell a made-up id from a new one and passes every well-formed id on (docs/security.md).
 *
 * Kept out of the purchase service so every way in (the GraphQL resolver now, a purchase-events consumer later)
 * calls the same check before recording.
 */
export interface ItemCheck {
  /** True when the gateway knows the whole catalogue, so `accepts` can refuse. */
  readonly authoritative: boolean;
  accepts(itemId: string): boolean;
}

export function catalogueItemCheck(catalog: { get(itemId: string): CatalogItem | undefined }): ItemCheck {
  return { authoritative: true, accepts: (itemId) => catalog.get(itemId) !== undefined };
}

/** For a remote model: the ranking service owns the catalogue. */
export const REMOTE_CATALOGUE_ITEM_CHECK: ItemCheck = { authoritative: false, accepts: () => true };
