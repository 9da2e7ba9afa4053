import { Pool } from 'undici';
import { ModelServiceError } from '../errors.js';
import { silentLogger } from '../telemetry/events.js';
import type { Logger, Telemetry } from '../telemetry/events.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { BreakerState } from './circuit-breaker.js';
import type { Model, RankedList } from './model.js';
import {
  PURCHASES_PATH,
  ProtocolError,
  RANK_PATH,
  REQUEST_ID_HEADER,
  VERSION_PATH,
  parseRankResponse,
  parseVersionResponse,
} from './protocol.js';
import { withClientSpan } from '../telemetry/tracing/client-spans.js';
import { currentRequestId } from '../telemetry/tracing/request-context.js';

export interface HttpModelOptions {
  /** Base URL of the ranking service, e.g. `http://127.0.0.1:4100`; a path prefix is kept (`http://h/ranker`). */
  readonly url: string;
  /** Budget of one call, retries and backoff included: no caller ever waits longer for the model. */
  readonly timeoutMs: number;
  /** Most users sent in one rank request; larger batches are split into concurrent requests. */
  readonly maxBatch: number;
  /** How often to ask the service for its version; 0 never polls (rank answers still teach it). */
  readonly versionPollMs: number;
  /** The version assumed until the service first answers (MODEL_VERSION). */
  readonly initialVersion: string;
  /** Further attempts after a retryable failure, within the budget. Default 2. */
  readonly retries?: number;
  /** First backoff; doubles per retry, half of it jittered. Default 50 ms. */
  readonly retryBaseMs?: number;
  /** Defaults: open after 5 consecutive failed attempts, probe again after 5 s. */
  readonly breaker?: { readonly failureThreshold: number; readonly coolDownMs: number };
  /** Keep-alive connections to the service. Default 32. */
  readonly connections?: number;
  readonly logger?: Logger;
  /** The gateway request that is loading these users (`request-ids.ts`), sent as `x-request-id`. */
  readonly requestIdOf?: (userIds: readonly string[]) => string | undefined;
  /** Told every breaker transition (`recs_model_breaker_state`). */
  readonly telemetry?: Pick<Telemetry, 'breakerState'>;
  readonly now?: () => number;
  readonly random?: () => number;
}

type Method = 'GET' | 'POST';

/**
 * How one call meets the breaker: when it may go out (`open-refused`: not while open, and it may be the half-open
 * probe; `closed-only`: only while closed; `always`), whether its outcome counts toward the breaker's state, and how
 * many retries it may make.
 */
interface CallPolicy {
  readonly gate: 'open-refused' | 'closed-only' | 'always';
  readonly reported: boolean;
  readonly retries: number | undefined;
}

const DEFAULT_POLICY: CallPolicy = { gate: 'open-refused', reported: true, retries: undefined };
const POLL_POLICY: CallPolicy = { gate: 'always', reported: true, retries: 0 };
/**
 * Shadow calls (`forShadowCalls`) are background measurement: their failures must not open the breaker that real
 * misses go through, nor their successes hide real failures from it, and they leave the half-open probe to real
 * traffic and the poll, so they go out only while the breaker is closed and are never reported to it.
 */
const SHADOW_POLICY: CallPolicy = { gate: 'closed-only', reported: false, retries: undefined };

/** A response body above this is refused: a list of 100 items is ~4 KB per user, so this is ~1,000 users' worth. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The ranking model as a remote service, over the protocol in `protocol.ts`, with undici's keep-alive Pool.
 *
 * Failure policy, chosen so a sick model service costs the gateway a bounded, small amount:
 * - Every call has one budget (`timeoutMs`) covering all its attempts; an attempt gets what is left of it.
 * - Retried: transport failures (refused, reset: e.g. a model server restarting) and 5xx, with doubling jittered
 *   backoff, at most `retries` times and only while the budget lasts. A timeout uses up the budget, so it is never
 *   retried. Not retried: 4xx (our request is wrong; asking again will not help) and off-protocol answers.
 * - All three calls are safe to repeat. Rank and version are reads. A purchase is the pair (userId, itemId) added to
 *   a set, so a duplicate delivery is a no-op; losing one instead would let the model rank a bought item again.
 * - Each attempt is reported to a circuit breaker (`circuit-breaker.ts`); while it is open, calls fail at once with
 *   `circuit-open` and the recommendation service serves graced STALE lists or MODEL_UNAVAILABLE. The version poll is
 *   the exception: it always goes out, once, and its answer closes the breaker (see `refreshVersion`). Shadow calls
 *   (`forShadowCalls`) are the other: they go out only while it is closed and never count toward it.
 *
 * Versions: the active version is whatever the service last said, from `GET /v1/version` (polled) or the top-level
 * `modelVersion` of a rank answer. Answers can arrive out of order (a slow attempt sent before a restart, answered
 * after a poll that already saw the new version), so each attempt gets a sequence number when it is sent and only an
 * answer to a later-sent attempt may change the version: the gateway never flips back to an older version. Each list
 * keeps its own `modelVersion`, and the recommendation service stores it under that version, whatever it expected.
 */
export class HttpModel implements Model {
  readonly #options: HttpModelOptions;
  readonly #pool: Pool;
  readonly #pathPrefix: string;
  readonly #breaker: CircuitBreaker;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #retries: number;
  readonly #retryBaseMs: number;
  #version: string;
  /** Sequence number of the attempt whose answer set `#version`; 0 until the service has answered. */
  #versionSeq = 0;
  #nextSeq = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #lastBreakerState: BreakerState = 'closed';

  constructor(options: HttpModelOptions) {
    const base = getValidUrl(options.url);
    this.#options = options;
    this.#pathPrefix = base.pathname.replace(/\/+$/, '');
    this.#version = options.initialVersion;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#retries = getValidCount(options.retries ?? 2, 'retries');
    this.#retryBaseMs = options.retryBaseMs ?? 50;
    assertPositive(options.maxBatch, 'maxBatch');
    assertPositive(options.timeoutMs, 'timeoutMs');
    this.#breaker = new CircuitBreaker({ failureThreshold: 5, coolDownMs: 5_000, ...options.breaker, now: this.#now });
    this.#pool = new Pool(base.origin, {
      connections: options.connections ?? 32,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
  }

  /**
   * Learns the service's version once (bounded by one call's budget) and starts polling. Resolves either way: a
   * gateway whose model service is down at start-up still serves cached lists under `initialVersion`, and switches
   * as soon as a poll or a rank answer names the real version. Resolves with whether the service answered.
   */
  async init(): Promise<boolean> {
    const learned = await this.refreshVersion();
    if (!learned) {
      this.#logger.warn(
        { url: this.#options.url, assumedVersion: this.#version },
        'model service did not tell its version at start-up; assuming MODEL_VERSION until it answers',
      );
    }
    if (this.#options.versionPollMs > 0 && this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(() => void this.refreshVersion(), this.#options.versionPollMs);
      this.#pollTimer.unref();
    }
    return learned;
  }

  /**
   * Asks the service for its version now; resolves with whether it answered. One poll at a time.
   *
   * The poll is the breaker's scheduled probe: it goes out even while the breaker is open (one request per poll
   * interval cannot overload anyone), makes a single attempt (the next poll is its retry), and reports its outcome.
   * Without this, polls failing during a model restart open the breaker, the open breaker then refuses the polls, and
   * the gateway keeps serving the old version for a whole cool-down after the new one is up.
   */
  async refreshVersion(): Promise<boolean> {
    if (this.#polling) return false;
    this.#polling = true;
    try {
      const { value, seq } = await this.#call('GET', VERSION_PATH, undefined, parseVersionResponse, POLL_POLICY);
      this.#observeVersion(value.modelVersion, seq);
      return true;
    } catch (error) {
      this.#logger.debug({ err: error }, 'model version poll failed');
      return false;
    } finally {
      this.#polling = false;
    }
  }

  currentVersion(): string {
    return this.#version;
  }

  /** For `/readyz`: resolves when the service answers its version endpoint (and learns the version from it). */
  async ping(): Promise<void> {
    const { value, seq } = await this.#call('GET', VERSION_PATH, undefined, parseVersionResponse);
    this.#observeVersion(value.modelVersion, seq);
  }

  /** The circuit breaker's state, for tests and readiness reports. */
  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  async scoreAndRank(userIds: readonly string[], limit: number): Promise<Array<RankedList | Error>> {
    return this.#scoreAndRank(userIds, limit, DEFAULT_POLICY);
  }

  async recordPurchase(userId: string, itemId: string): Promise<void> {
    await this.#recordPurchase(userId, itemId, DEFAULT_POLICY);
  }

  /**
   * This model for shadow calls (the freshness inspector): the same service, pool and version, but its calls go out
   * only while the breaker is closed and are never reported to it (`SHADOW_POLICY`). Closing it closes nothing: the
   * pool is this model's.
   */
  forShadowCalls(): Model {
    return {
      currentVersion: () => this.currentVersion(),
      scoreAndRank: async (userIds, limit) => this.#scoreAndRank(userIds, limit, SHADOW_POLICY),
      recordPurchase: async (userId, itemId) => this.#recordPurchase(userId, itemId, SHADOW_POLICY),
      close: async () => {},
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    await this.#pool.close();
  }

  async #scoreAndRank(
    userIds: readonly string[],
    limit: number,
    policy: CallPolicy,
  ): Promise<Array<RankedList | Error>> {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    if (userIds.length === 0) return [];
    const chunks: Array<readonly string[]> = [];
    for (let start = 0; start < userIds.length; start += this.#options.maxBatch) {
      chunks.push(userIds.slice(start, start + this.#options.maxBatch));
    }
    const settled = await Promise.allSettled(chunks.map(async (chunk) => this.#rankChunk(chunk, limit, policy)));
    const firstFailure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    // Every chunk failed: the call failed (the service counts it as one failed model call). Otherwise only the users
    // of the failed chunks get an Error in their slot, as the Model contract allows.
    if (firstFailure !== undefined && settled.every((result) => result.status === 'rejected'))
      throw firstFailure.reason;
    return settled.flatMap((result, index) =>
      result.status === 'fulfilled' ? result.value : (chunks[index] ?? []).map(() => asError(result.reason)),
    );
  }

  async #recordPurchase(userId: string, itemId: string, policy: CallPolicy): Promise<void> {
    await this.#call('POST', PURCHASES_PATH, { userId, itemId }, undefined, policy, this.#requestIdFor([userId]));
  }

  async #rankChunk(userIds: readonly string[], limit: number, policy: CallPolicy): Promise<Array<RankedList | Error>> {
    const { value, seq } = await this.#call(
      'POST',
      RANK_PATH,
      { userIds, limit },
      (body) => parseRankResponse(body, userIds),
      policy,
      this.#requestIdFor(userIds),
    );
    this.#observeVersion(value.modelVersion, seq);
    return value.lists.map((list) =>
      'error' in list ? new Error(`model service could not rank user ${list.userId}: ${list.error}`) : list,
    );
  }

  /** The request's own context when tracing keeps one, else the request loading these users. */
  #requestIdFor(userIds: readonly string[]): string | undefined {
    return currentRequestId() ?? this.#options.requestIdOf?.(userIds);
  }

  #observeVersion(version: string, seq: number): void {
    // Only an answer to an attempt sent after the one we last learned from may change the version (see class doc).
    if (seq < this.#versionSeq) return;
    this.#versionSeq = seq;
    if (version === this.#version) return;
    this.#logger.info(
      { from: this.#version, to: version },
      'model version changed; reads and writes move to its namespace',
    );
    this.#version = version;
  }

  /** One call: attempts under the breaker, within one budget, retrying what is worth retrying. */
  async #call<T>(
    method: Method,
    path: string,
    payload: unknown,
    parse: ((body: unknown) => T) | undefined,
    policy: CallPolicy = DEFAULT_POLICY,
    requestId?: string,
  ): Promise<{ value: T; seq: number }> {
    const deadline = this.#now() + this.#options.timeoutMs;
    const retries = policy.retries ?? this.#retries;
    for (let attempt = 0; ; attempt += 1) {
      if (!this.#mayGoOut(policy)) {
        this.#noteBreaker();
        throw new ModelServiceError(
          'circuit-open',
          `${method} ${path} refused: the circuit breaker is open after repeated failures`,
        );
      }
      const seq = (this.#nextSeq += 1);
      const remaining = deadline - this.#now();
      try {
        if (remaining <= 0)
          throw new ModelServiceError(
            'timeout',
            `${method} ${path} had no time left of its ${this.#options.timeoutMs} ms budget`,
          );
        const value = await this.#attempt(method, path, payload, parse, remaining, requestId);
        if (policy.reported) {
          this.#breaker.onSuccess();
          this.#noteBreaker();
        }
        return { value, seq };
      } catch (error) {
        const failure = asModelServiceError(error, method, path);
        if (policy.reported) {
          // A 4xx means the service is up and answering: healthy, as far as the breaker is concerned.
          if (isClientError(failure)) this.#breaker.onSuccess();
          else this.#breaker.onFailure();
          this.#noteBreaker();
        }
        if (!isRetryable(failure) || attempt >= retries) throw failure;
        const step = this.#retryBaseMs * 2 ** attempt;
        const backoff = step / 2 + (this.#random() * step) / 2;
        if (this.#now() + backoff >= deadline) throw failure;
        await delay(backoff);
      }
    }
  }

  #mayGoOut(policy: CallPolicy): boolean {
    switch (policy.gate) {
      case 'always':
        return true;
      case 'open-refused':
        return this.#breaker.tryAcquire();
      case 'closed-only':
        // Reads the state without acquiring: a shadow call never takes the half-open probe from real traffic.
        return this.#breaker.state === 'closed';
    }
  }

  async #attempt<T>(
    method: Method,
    path: string,
    payload: unknown,
    parse: ((body: unknown) => T) | undefined,
    budgetMs: number,
    requestId: string | undefined,
  ): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), budgetMs);
    const headers: Record<string, string> =
      payload === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' };
    if (requestId !== undefined) headers[REQUEST_ID_HEADER] = requestId;
    const batchSize = path === RANK_PATH ? rankBatchSize(payload) : undefined;
    const attributes = {
      'http.request.method': method,
      'url.path': path,
      ...(batchSize === undefined ? {} : { 'recs.model.batch_size': batchSize }),
    };
    try {
      // A span per attempt (retries show as siblings), and traceparent and x-request-id passed to the service.
      const { statusCode, text } = await withClientSpan(`${method} ${path}`, attributes, headers, async (span) => {
        const answer = await this.#pool.request({
          method,
          path: `${this.#pathPrefix}${path}`,
          headers,
          body: payload === undefined ? null : JSON.stringify(payload),
          signal: controller.signal,
        });
        span.setAttribute('http.response.status_code', answer.statusCode);
        return { statusCode: answer.statusCode, text: await answer.body.text() };
      });
      if (statusCode < 200 || statusCode > 299) {
        throw new ModelServiceError('http-status', `${method} ${path} answered ${statusCode}: ${text.slice(0, 200)}`, {
          status: statusCode,
        });
      }
      if (parse === undefined) return undefined as T;
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new ModelServiceError(
          'bad-response',
          `${method} ${path} answered a body that is not JSON: ${text.slice(0, 80)}`,
          { cause: error },
        );
      }
      return parse(body);
    } catch (error) {
      if (controller.signal.aborted) {
        throw new ModelServiceError(
          'timeout',
          `${method} ${path} got no complete answer within ${Math.round(budgetMs)} ms`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs breaker transitions once each: the signal an operator wants, without a line per refused call. */
  #noteBreaker(): void {
    const state = this.#breaker.state;
    if (state === this.#lastBreakerState) return;
    const previous = this.#lastBreakerState;
    this.#lastBreakerState = state;
    this.#options.telemetry?.breakerState(state);
    if (state === 'open') {
      this.#logger.warn(
        { url: this.#options.url, failures: this.#breaker.consecutiveFailures },
        'model circuit breaker opened; failing model calls fast',
      );
    } else if (state === 'closed' && previous !== 'closed') {
      this.#logger.info({ url: this.#options.url }, 'model circuit breaker closed; model service answering again');
    }
  }
}

// Private helpers.

function asModelServiceError(error: unknown, method: Method, path: string): ModelServiceError {
  if (error instanceof ModelServiceError) return error;
  if (error instanceof ProtocolError)
    return new ModelServiceError('bad-response', `${method} ${path}: ${error.message}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new ModelServiceError('unreachable', `${method} ${path}: ${message}`, { cause: error });
}

function isClientError(error: ModelServiceError): boolean {
  return error.reason === 'http-status' && error.status !== undefined && error.status < 500;
}

function isRetryable(error: ModelServiceError): boolean {
  return error.reason === 'unreachable' || (error.reason === 'http-status' && !isClientError(error));
}

function rankBatchSize(payload: unknown): number | undefined {
  const userIds = (payload as { userIds?: unknown } | undefined)?.userIds;
  return Array.isArray(userIds) ? userIds.length : undefined;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function getValidUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(
      `HttpModel needs an absolute http(s) URL such as http://127.0.0.1:4100, but got: ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`HttpModel needs an http:// or https:// URL, but got: ${JSON.stringify(raw)}`);
  }
  return url;
}

function getValidCount(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`HttpModel ${name} must be a non-negative integer, but got: ${value}`);
  }
  return value;
}

function assertPositive(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`HttpModel ${name} must be a positive integer, but got: ${value}`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
