import type { CacheStore, PurchaseLimits } from '../cache/cache-store.js';
import { userKeys } from '../cache/key-scheme.js';
import type { Model } from '../model/model.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import type { RecomputeCoordinator } from './recompute-coordinator.js';

export interface PurchaseInvalidationOptions {
  readonly store: Pick<CacheStore, 'recordPurchase'>;
  readonly model: Pick<Model, 'recordPurchase'>;
  readonly keyPrefix: string;
  readonly purchaseLimits: PurchaseLimits;
  readonly coordinator: Pick<RecomputeCoordinator, 'forget'>;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
}

/** The purchase path: a purchase invalidates the user's cached list and is filtered out of every list served after it. */
export class PurchaseInvalidation {
  readonly #options: PurchaseInvalidationOptions;

  constructor(options: PurchaseInvalidationOptions) {
    this.#options = options;
  }

  /** See `RecommendationService.learnPurchase`. */
  async learnPurchase(userId: string, itemId: string): Promise<void> {
    try {
      await this.#options.model.recordPurchase(userId, itemId);
    } catch (error) {
      this.#options.logger.error(
        { err: error, userId },
        'model did not record the purchase; the cache still invalidates and filters it',
      );
    }
  }

  /** See `RecommendationService.applyPurchase`. */
  async applyPurchase(userId: string, itemId: string, at: number, version: string): Promise<void> {
    const { store, telemetry, logger, coordinator } = this.#options;
    const keys = userKeys(this.#options.keyPrefix, userId, version);
    // A recompute started before this purchase must not be shared with readers that arrive after it.
    coordinator.forget(keys);
    try {
      await store.recordPurchase(keys, { itemId, at }, this.#options.purchaseLimits);
    } catch (error) {
      telemetry.storeError('purchase');
      logger.error({ err: error, userId }, 'purchase could not invalidate the cached list');
      throw error;
    }
    // Again: a recompute may have joined the map while the store call was out.
    coordinator.forget(keys);
    telemetry.invalidation('purchase');
  }
}
