import type { CacheStore } from '../cache/cache-store.js';

export interface ReadinessReport {
  readonly ready: boolean;
  /** `ready`: all dependencies answer. `degraded`: serving, but the store is down, so every read costs a model call. */
  readonly status: 'starting' | 'ready' | 'degraded' | 'stopping';
  readonly store: { readonly kind: string; readonly up: boolean };
}

/**
 * What `/readyz` reports. A store outage is `degraded` and still ready (200): reads fall back to the model, and
 * taking every replica out of rotation because their shared Redis is down would turn a slowdown into an outage.
 */
export class Readiness {
  #phase: 'starting' | 'serving' | 'stopping' = 'starting';

  constructor(private readonly store: CacheStore) {}

  serving(): void {
    this.#phase = 'serving';
  }

  stopping(): void {
    this.#phase = 'stopping';
  }

  async check(): Promise<ReadinessReport> {
    const up = await this.store.ping().then(
      () => true,
      () => false,
    );
    const store = { kind: this.store.kind, up };
    if (this.#phase !== 'serving') return { ready: false, status: this.#phase, store };
    return { ready: true, status: up ? 'ready' : 'degraded', store };
  }
}
