import type { ServedSource } from '../telemetry/events.js';

/** A ranked item as served: rank is 1-based and counted after bought items were filtered out. */
export interface ServedItem {
  readonly rank: number;
  readonly score: number;
  readonly itemId: string;
}

/** A recommendation list as served to one request (the GraphQL `RecommendationList` before field resolution). */
export interface ServedList {
  readonly userId: string;
  readonly modelVersion: string;
  readonly generatedAt: Date;
  readonly ageSeconds: number;
  /** Freshness left at serve time (freshUntil minus serve time): negative once the list is past its TTL (STALE). */
  readonly freshForSeconds: number;
  readonly source: ServedSource;
  readonly items: readonly ServedItem[];
}
