import type { Telemetry } from '../../telemetry/events.js';
import type { OperationTracing } from '../../telemetry/tracing/operation-spans.js';
import { cacheSignalsEffect } from './cache-signals.js';
import type { ResponseEffect } from './effect.js';
import { mediaTypeEffect } from './media-type.js';
import type { MediaTypeChooser } from './media-type.js';
import { noStoreEffect } from './no-store.js';
import { operationMetricsEffect } from './operation-metrics.js';
import { operationTracingEffect } from './operation-tracing.js';

export interface ResponseEffectsOptions {
  /** The `Content-Type` choice; shared so that a negotiation is remembered once for both paths. */
  readonly chooseMediaType: MediaTypeChooser;
  readonly telemetry: Pick<Telemetry, 'graphqlOperation'>;
  /** The cache's name in `Cache-Status`. */
  readonly cacheName: string;
  /** With tracing on: the operation span. */
  readonly tracing?: OperationTracing;
}

/**
 * Everything a successful GraphQL answer carries or causes beyond its data, in the order it happens: headers in the
 * order they are written (`Cache-Control`, `Content-Type`, then `Cache-Status` and `Age`), the operation counted and
 * noted for the log line, the span ended, `extensions.recsCache`. Apollo runs the list for every answer
 * (`responseEffectsPlugin`), the fast path for the answers it sends itself (`fast-path.ts`).
 *
 * A new effect on answers goes here, not into Apollo's plugin list: a plugin applies to Apollo's answers only, and a
 * successful answer from the fast path would silently lack it (the differential suite would then fail:
 * test/graphql/fast-path-differential.test.ts). Apollo's plugins are left with what only answers with errors need
 * (status codes, `Retry-After`, logging unexpected errors) and with what happens before execution (persisted
 * queries), neither of which the fast path answers.
 */
export function responseEffects(options: ResponseEffectsOptions): readonly ResponseEffect[] {
  return [
    noStoreEffect,
    mediaTypeEffect(options.chooseMediaType),
    operationMetricsEffect(options.telemetry),
    ...(options.tracing === undefined ? [] : [operationTracingEffect(options.tracing)]),
    cacheSignalsEffect({ cacheName: options.cacheName }),
  ];
}
