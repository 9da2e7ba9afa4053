import type { CacheStore } from '../../src/cache/cache-store.js';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import { createCatalog } from '../../src/model/catalog.js';
import type { Catalog } from '../../src/model/catalog.js';
import type { Model } from '../../src/model/model.js';
import { RecommendationService } from '../../src/recs/recommendation-service.js';
import type { RecommendationServiceOptions } from '../../src/recs/recommendation-service.js';
import { silentLogger, silentTelemetry } from '../../src/telemetry/events.js';

let sharedCatalog: Catalog | undefined;

/** One catalogue for the whole file: building it costs ~60 ms. */
export function catalog(): Catalog {
  sharedCatalog ??= createCatalog();
  return sharedCatalog;
}

export function builtinModel(version = 'v1'): BuiltinModel {
  return new BuiltinModel({ version, catalog: catalog(), listSize: 20 });
}

/** A clock tests move by hand; a wait on it moves it by the time waited, at once. */
export class ManualClock {
  constructor(public time = Date.UTC(2026, 10, 27, 8, 0, 0)) {}
  readonly now = (): number => this.time;
  readonly sleep = (ms: number): Promise<void> => {
    this.advance(ms);
    return Promise.resolve();
  };
  advance(ms: number): void {
    this.time += ms;
  }
}

export const TTL_MS = 600_000;
export const GRACE_MS = 3_600_000;

export function createService(
  store: CacheStore,
  model: Model,
  overrides: Partial<RecommendationServiceOptions> = {},
): RecommendationService {
  return new RecommendationService({
    store,
    model,
    keyPrefix: '',
    ttl: { baseTtlMs: TTL_MS, minTtlMs: 60_000, maxTtlMs: TTL_MS, jitter: 0, activityWindowMs: 86_400_000 },
    graceMs: GRACE_MS,
    listSize: 20,
    leaseMs: 10_000,
    leaseWaitMs: 2_000,
    earlyRefreshBeta: 0,
    purchaseLimits: { maxRemembered: 50, stateTtlMs: 86_400_000 },
    telemetry: silentTelemetry,
    logger: silentLogger,
    ...overrides,
  });
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
