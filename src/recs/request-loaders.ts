import DataLoader from 'dataloader';
import type { LoadOptions, RecommendationService } from './recommendation-service.js';
import type { ServedList } from './served-list.js';

/** Per-request loaders: new for every request, so nothing cached in them outlives it (only the store is shared). */
export interface RequestLoaders {
  readonly recommendations: DataLoader<string, ServedList>;
}

/**
 * New loaders for every request (DataLoader's own advice): all `recommendations` fields of one request are
 * collected over a tick and reach the service as one batch, so N users cost one cache read, at most one model call
 * and one write. Memoisation lives only as long as the request, so nothing in here can serve another request.
 */
export function createRequestLoaders(
  service: Pick<RecommendationService, 'loadMany'>,
  maxBatchSize: number,
  /** Told of every list served, for the request's cache signals and log line. */
  onServed: (list: ServedList) => void = () => {},
  /** Per-request load options, e.g. the client's model-compute budget. */
  loadOptions: LoadOptions = {},
): RequestLoaders {
  const loadMany = async (userIds: readonly string[]): Promise<Array<ServedList | Error>> => {
    let lists: Array<ServedList | Error>;
    try {
      lists = await service.loadMany(userIds, loadOptions);
    } catch (error) {
      // Each user's own error, which DataLoader keeps for the rest of the request: a batch that failed as a whole
      // would be forgotten, and running the operation again (the fast path does, see graphql/item-lists/) would
      // load those users again, calling the model and charging budgets twice.
      const failure = error instanceof Error ? error : new Error(String(error));
      return userIds.map(() => failure);
    }
    for (const list of lists) if (!(list instanceof Error)) onServed(list);
    return lists;
  };
  return {
    recommendations: new DataLoader<string, ServedList>(loadMany, { maxBatchSize }),
  };
}
