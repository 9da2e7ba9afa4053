import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { CacheStore, EntryWrite, UserSnapshot } from '../cache/cache-store.js';
import type { UserKeys } from '../cache/key-scheme.js';
import type { Model, RankedList } from '../model/model.js';
import type { CacheReadResult, ServedSource, Telemetry } from '../telemetry/events.js';
import { currentOperationSlot, parentContext } from '../telemetry/tracing/request-context.js';

/**
 * Spans at the boundaries of the read path, without touching the code in between: the store and the model are
 * wrapped (one span per read, write, lease and model call), and the telemetry events the recommendation service
 * already emits (hit, stale, miss, served version) are added up on the request's operation span. Proxies, so methods
 * added to the store or the model later pass through untouched.
 */
export function tracedStore<S extends CacheStore>(store: S, tracer: Tracer): S {
  const traced: Partial<CacheStore> = {
    readMany: (keys: readonly UserKeys[]) =>
      inSpan(
        tracer,
        'cache read',
        { 'recs.store': store.kind, 'recs.cache.users': keys.length },
        () => store.readMany(keys),
        (span, snapshots) => span.setAttributes(readAttributes(snapshots, Date.now())),
      ),
    writeMany: (writes: readonly EntryWrite[]) =>
      inSpan(
        tracer,
        'cache write',
        { 'recs.store': store.kind, 'recs.cache.users': writes.length },
        () => store.writeMany(writes),
        (span, written) =>
          span.setAttributes({
            'recs.cache.written': written.filter(Boolean).length,
            'recs.cache.refused': written.filter((ok) => !ok).length,
          }),
      ),
    acquireLeases: (keys: readonly UserKeys[], token: string, ttlMs: number) =>
      inSpan(
        tracer,
        'cache lease',
        { 'recs.store': store.kind, 'recs.cache.users': keys.length },
        () => store.acquireLeases(keys, token, ttlMs),
        (span, taken) => span.setAttribute('recs.cache.leases_taken', taken.filter(Boolean).length),
      ),
  };
  return overlay(store, traced as Partial<S>);
}

export function tracedModel(model: Model, tracer: Tracer): Model {
  const traced: Partial<Model> = {
    scoreAndRank: (userIds: readonly string[], limit: number) =>
      inSpan(
        tracer,
        'model rank',
        { 'recs.model.batch_size': userIds.length, 'recs.model.expected_version': model.currentVersion() },
        () => model.scoreAndRank(userIds, limit),
        (span, lists) => span.setAttributes(rankAttributes(lists)),
      ),
    recordPurchase: (userId: string, itemId: string) =>
      inSpan(
        tracer,
        'model purchase',
        {},
        () => model.recordPurchase(userId, itemId),
        () => {},
      ),
  };
  return overlay(model, traced);
}

/** Adds the service's own verdicts (hit, stale, miss) and the served versions to the request's operation. */
export function tracedTelemetry<T extends Telemetry>(telemetry: T): T {
  const traced: Pick<Telemetry, 'cacheRead' | 'served'> = {
    cacheRead(result: CacheReadResult, count: number) {
      const slot = currentOperationSlot();
      if (slot !== undefined) slot[result] += count;
      telemetry.cacheRead(result, count);
    },
    served(source: ServedSource, modelVersion: string, ageSeconds: number) {
      const slot = currentOperationSlot();
      if (slot !== undefined && !slot.versions.includes(modelVersion)) slot.versions.push(modelVersion);
      telemetry.served(source, modelVersion, ageSeconds);
    },
  };
  return overlay(telemetry, traced as Partial<T>);
}

// Private helpers.

/** Runs `work` in a child span of the current operation (or request), in that span's context, and ends it. */
async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
  describe: (span: Span, value: T) => void,
): Promise<T> {
  const parent = parentContext();
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  try {
    const value = await context.with(trace.setSpan(parent, span), work);
    describe(span, value);
    return value;
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

function readAttributes(snapshots: readonly UserSnapshot[], now: number): Attributes {
  let fresh = 0;
  let stale = 0;
  const versions = new Set<string>();
  for (const { entry } of snapshots) {
    if (entry === undefined) continue;
    versions.add(entry.modelVersion);
    if (entry.freshUntil > now) fresh += 1;
    else stale += 1;
  }
  // The store's view; the service may still treat a present entry as a miss (e.g. a purchase since), and says so
  // on the operation span (`recs.cache.hit` / `stale` / `miss`).
  return {
    'recs.cache.fresh': fresh,
    'recs.cache.stale': stale,
    'recs.cache.absent': snapshots.length - fresh - stale,
    'recs.model_version': [...versions],
  };
}

function rankAttributes(lists: ReadonlyArray<RankedList | Error>): Attributes {
  const versions = new Set<string>();
  let failed = 0;
  for (const list of lists) {
    if (list instanceof Error) failed += 1;
    else versions.add(list.modelVersion);
  }
  return { 'recs.model.failed_users': failed, 'recs.model_version': [...versions] };
}

/** `target` with some methods replaced; every other property read from `target` itself (methods bound to it). */
function overlay<T extends object>(target: T, replaced: Partial<T>): T {
  // Bound once per method: the telemetry is called on every hit.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(replaced, property)) return replaced[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (method === undefined) {
        method = (value as (...args: unknown[]) => unknown).bind(object);
        bound.set(property, method);
      }
      return method;
    },
  });
}
