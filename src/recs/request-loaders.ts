import DataLoader from 'dataloader';
import type { Catalog } from '../model/catalog.js';
import type { CatalogItem } from '../model/catalog-item.js';
import type { RequestLoaders } from '../graphql/context.js';
import type { RecommendationService } from './recommendation-service.js';
import type { ServedList } from './served-list.js';

/**
 * New loaders for every request (DataLoader's own advice): all `recommendations` fields of one request are
 * collected over a tick and reach the service as one batch, so N users cost one cache read, at most one model call
 * and one write. Memoisation lives only as long as the request, so nothing in here can serve another request.
 */
export function createRequestLoaders(service: RecommendationService, catalog: Catalog, maxBatchSize: number): RequestLoaders {
  return {
    recommendations: new DataLoader<string, ServedList>(async (userIds) => service.loadMany(userIds), { maxBatchSize }),
    items: new DataLoader<string, CatalogItem | null>(async (itemIds) => catalog.getMany(itemIds).map((item) => item ?? null)),
  };
}
