import type { ServedList } from '../../recs/served-list.js';
import type { AnswerHeaders, ResponseEffect } from './effect.js';

/** What `extensions.recsCache` says about each list a response served. */
export interface CacheSignal {
  readonly userId: string;
  readonly source: ServedList['source'];
  readonly ageSeconds: number;
  readonly freshForSeconds: number;
  readonly modelVersion: string;
  readonly generatedAt: string;
}

export interface CacheSignalsOptions {
  /** The cache's name in `Cache-Status`; RFC 9211 asks for one that identifies this cache among others on the path. */
  readonly cacheName: string;
}

/**
 * Tells clients how fresh what they got is, so a web client can show (or refuse) a stale answer:
 *
 * - `extensions.recsCache`: one entry per list served, always.
 * - `Cache-Status` (RFC 9211) and `Age` (RFC 9111 §5.1), only when the response served exactly one list: these
 *   describe a whole response, and a response holding several lists of different ages has no single answer.
 *
 * The `Cache-Status` mapping: a fresh list is a `hit` with its remaining freshness as `ttl`; a list past its TTL
 * (served within grace while a recompute runs, or because the model failed) is `fwd=stale` with a negative `ttl`;
 * a list the model computed for this request is `fwd=miss`. `stored` is not claimed: the write after a miss may be
 * refused (a purchase came in meanwhile) or fail (Redis down), and the service does not report which per list.
 */
export function cacheSignalsEffect(options: CacheSignalsOptions): ResponseEffect {
  return {
    name: 'cache-signals',
    apply({ record, headers, result, single }) {
      const served = record.served;
      if (served.length === 0) return;
      setCacheHeaders(headers, options.cacheName, served);
      if (single) result.extensions = withCacheSignals(result.extensions, served);
    },
  };
}

/** `Cache-Status` and `Age`, when exactly one list was served. */
function setCacheHeaders(headers: AnswerHeaders, cacheName: string, served: readonly ServedList[]): void {
  const [only] = served;
  if (served.length !== 1 || only === undefined) return;
  headers.set('cache-status', cacheStatus(cacheName, only));
  headers.set('age', String(Math.floor(only.ageSeconds)));
}

/** A result's `extensions` with `recsCache` added (unchanged when nothing was served). */
function withCacheSignals(
  extensions: Record<string, unknown> | undefined,
  served: readonly ServedList[],
): Record<string, unknown> | undefined {
  if (served.length === 0) return extensions;
  return { ...extensions, recsCache: served.map(signalOf) };
}

/** One RFC 9211 list member: the cache's name, then its parameters (`ttl` is an integer, negative once stale). */
export function cacheStatus(cacheName: string, list: ServedList): string {
  const ttl = `ttl=${Math.floor(list.freshForSeconds)}`;
  switch (list.source) {
    case 'CACHE':
      return `${cacheName}; hit; ${ttl}`;
    case 'STALE':
      return `${cacheName}; fwd=stale; ${ttl}`;
    case 'MODEL':
      return `${cacheName}; fwd=miss; ${ttl}`;
  }
}

function signalOf(list: ServedList): CacheSignal {
  return {
    userId: list.userId,
    source: list.source,
    ageSeconds: list.ageSeconds,
    freshForSeconds: list.freshForSeconds,
    modelVersion: list.modelVersion,
    generatedAt: list.generatedAt.toISOString(),
  };
}
