import type { CacheStore } from '../cache/cache-store.js';
import type { Model } from '../model/model.js';
import type { BreakerState } from '../model/circuit-breaker.js';

/** Only up or down: the probe's error (hosts, ports) is not for a public endpoint; the store logs its own errors. */
export interface DependencyReport {
  readonly up: boolean;
}

/**
 * What `/readyz` reports. The states, and what a load balancer should do with each:
 *
 * | status        | ready (HTTP) | store | model | what is served                                                  |
 * | ------------- | ------------ | ----- | ----- | --------------------------------------------------------------- |
 * | `starting`    | no (503)     |  any  |  any  | nothing yet: not listening or not wired                         |
 * | `ready`       | yes (200)    |  up   |  up   | everything                                                      |
 * | `degraded`    | yes (200)    | down  |  up   | every read is a model call (no cache, no cross-replica leases)  |
 * | `degraded`    | yes (200)    |  up   | down  | cached lists (fresh, and stale within grace); misses fail       |
 * | `unavailable` | no (503)     | down  | down  | nothing but errors                                              |
 * | `stopping`    | no (503)     |  any  |  any  | in-flight requests only: SIGTERM received, draining             |
 *
 * A single dependency down stays in rotation on purpose: Redis and the model service are shared by every replica,
 * so taking replicas out because of them would turn a slowdown into an outage for all of them at once.
 */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly status: 'starting' | 'ready' | 'degraded' | 'unavailable' | 'stopping';
  /** `breaker`: the store's circuit breaker, when it has one (open: reads do not touch the store at all). */
  readonly store: { readonly kind: string; readonly breaker?: BreakerState } & DependencyReport;
  readonly model: { readonly version: string } & DependencyReport;
  /**
   * Present only when a purchase event source is configured. Informational: it never changes `ready` or `status`,
   * because reads do not depend on the broker and unacknowledged events wait in it for whichever replica is up.
   */
  readonly purchaseEvents?: { readonly source: string; readonly connected: boolean };
}

/** What readiness needs to know of a purchase event source (events/purchase-event-source.ts). */
export interface EventSourceState {
  readonly kind: string;
  connected(): boolean;
}

export interface ReadinessOptions {
  readonly store: CacheStore;
  readonly model: Model;
  /** Bound on each check: a dependency that does not answer within it is down. */
  readonly timeoutMs: number;
  /** The store's circuit breaker state, reported beside its probe. */
  readonly storeBreaker?: () => BreakerState;
}

export class Readiness {
  readonly #options: ReadinessOptions;
  #phase: 'starting' | 'serving' | 'stopping' = 'starting';
  #events: EventSourceState | undefined;

  constructor(options: ReadinessOptions) {
    this.#options = options;
  }

  serving(): void {
    this.#phase = 'serving';
  }

  stopping(): void {
    this.#phase = 'stopping';
  }

  /** Adds the purchase event consumer's connection to every report (it is configured after the readiness). */
  includeEvents(source: EventSourceState): void {
    this.#events = source;
  }

  async check(): Promise<ReadinessReport> {
    const { store, model, timeoutMs } = this.#options;
    const [storeReport, modelReport] = await Promise.all([
      probe(() => store.ping(), timeoutMs),
      probe(async () => model.ping?.(), timeoutMs),
    ]);
    const report = {
      store:
        this.#options.storeBreaker === undefined
          ? { kind: store.kind, ...storeReport }
          : { kind: store.kind, ...storeReport, breaker: this.#options.storeBreaker() },
      model: { version: model.currentVersion(), ...modelReport },
      ...(this.#events === undefined
        ? {}
        : { purchaseEvents: { source: this.#events.kind, connected: this.#events.connected() } }),
    };
    if (this.#phase !== 'serving') return { ready: false, status: this.#phase, ...report };
    if (storeReport.up && modelReport.up) return { ready: true, status: 'ready', ...report };
    if (storeReport.up || modelReport.up) return { ready: true, status: 'degraded', ...report };
    return { ready: false, status: 'unavailable', ...report };
  }
}

// Private: one bounded check.

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { up: true };
  } catch {
    return { up: false };
  } finally {
    clearTimeout(timer);
  }
}
