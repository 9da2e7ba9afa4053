import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { OperationOutcome } from './events.js';

/**
 * Request-level metrics in Prometheus' naming: how long GraphQL requests take by operation type and outcome, which
 * error codes the answers carried, and what is running (gateway, Node and active model version). Both answering
 * paths (the fast path and Apollo) are counted, from the request's record when its response has been sent
 * (`http/request-metrics.ts`), so the two can never disagree.
 */
export const REQUEST_METRIC_NAMES = {
  requestDuration: 'recs_graphql_request_duration_seconds',
  errors: 'recs_graphql_errors_total',
  buildInfo: 'recs_build_info',
} as const;

/** `none`: the request never resolved to an operation (unparsable body, invalid document, refused before GraphQL). */
export type OperationTypeLabel = 'query' | 'mutation' | 'subscription' | 'none';

export interface RequestMetricsOptions {
  readonly registry: Registry;
  /** The model version answers are computed with now (it changes when a remote model rolls out). */
  readonly modelVersion: () => string;
  readonly gatewayVersion?: string;
}

// Codes are set by the server, not by clients, but a cap keeps a bug from turning into a series explosion.
const MAX_CODES = 32;

export class RequestMetrics {
  readonly #duration: Histogram<'operation_type' | 'outcome'>;
  readonly #errors: Counter<'code'>;
  /** Children by `type|outcome`: a label lookup costs on every request. */
  readonly #children = new Map<string, { observe(value: number): void }>();
  readonly #codes = new Set<string>();

  constructor(options: RequestMetricsOptions) {
    const registers = [options.registry];
    this.#duration = new Histogram({
      name: REQUEST_METRIC_NAMES.requestDuration,
      help: 'GraphQL requests over HTTP, from the first byte read to the response sent, by operation type and outcome (success, partial, error, rejected).',
      labelNames: ['operation_type', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#errors = new Counter({
      name: REQUEST_METRIC_NAMES.errors,
      help: 'GraphQL answers carrying an error, by extensions.code (each code counted once per answer).',
      labelNames: ['code'],
      registers,
    });
    const version = options.gatewayVersion ?? gatewayVersion();
    const { modelVersion } = options;
    new Gauge({
      name: REQUEST_METRIC_NAMES.buildInfo,
      help: 'Always 1: the running gateway version, Node.js version and active model version, as labels.',
      labelNames: ['version', 'node_version', 'model_version'],
      registers,
      collect() {
        // Read at scrape time, so the series follows a model rollout; the old version's series goes with it.
        this.reset();
        this.set({ version, node_version: process.version, model_version: modelVersion() }, 1);
      },
    });
  }

  request(type: OperationTypeLabel, outcome: OperationOutcome, seconds: number): void {
    const key = `${type}|${outcome}`;
    let child = this.#children.get(key);
    if (child === undefined) {
      child = this.#duration.labels(type, outcome);
      this.#children.set(key, child);
    }
    child.observe(seconds);
  }

  errors(codes: readonly string[]): void {
    for (const code of codes) this.#errors.inc({ code: this.#codeLabel(code) });
  }

  #codeLabel(code: string): string {
    if (this.#codes.has(code)) return code;
    if (this.#codes.size >= MAX_CODES) return 'other';
    this.#codes.add(code);
    return code;
  }
}

/** The `version` of package.json, which sits two directories up from this file in src/ and in dist/ alike. */
export function gatewayVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
