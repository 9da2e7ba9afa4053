import type DataLoader from 'dataloader';
import type { CatalogItem } from '../model/catalog-item.js';
import type { RecommendationService } from '../recs/recommendation-service.js';
import type { ServedList } from '../recs/served-list.js';

/** Per-request loaders: new for every request, so nothing cached in them outlives it (only the store is shared). */
export interface RequestLoaders {
  readonly recommendations: DataLoader<string, ServedList>;
  readonly items: DataLoader<string, CatalogItem | null>;
}

export interface GatewayContext {
  readonly loaders: RequestLoaders;
  readonly recommendations: RecommendationService;
}
