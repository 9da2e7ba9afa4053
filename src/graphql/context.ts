import type { Principal } from '../auth/principal.js';
import type { PurchaseService } from '../purchases/purchase-service.js';
import type { ClientLimits } from '../limits/client-limits.js';
import type { CatalogItem } from '../model/catalog-item.js';
import type { RecommendationService } from '../recs/recommendation-service.js';
import type { RequestLoaders } from '../recs/request-loaders.js';
import type { RequestRecord } from './request-record.js';

/**
 * The item catalogue as resolvers see it. It lives in this process, so a lookup is a synchronous map read: no loader,
 * no promise per item (20 per list), which the compiled executor turns into plain property reads. A remote catalogue
 * would bring back a per-request DataLoader here.
 */
export interface CatalogLookup {
  get(itemId: string): CatalogItem | undefined;
}

export interface GatewayContext {
  readonly loaders: RequestLoaders;
  readonly catalog: CatalogLookup;
  readonly recommendations: RecommendationService;
  /** What this request served and how it ended, for the cache signals and the request log line. */
  readonly record: RequestRecord;
  readonly purchases: PurchaseService;
  /** Who is asking (from the bearer token), and the key their rate limits are counted under. */
  readonly principal: Principal;
  readonly clientId: string;
  readonly limits: ClientLimits;
  /** Operator actions; resolvers check the admin scope before calling them. */
  readonly admin: { purgeModelVersion(modelVersion: string): Promise<number> };
}
