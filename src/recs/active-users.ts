import { LRUCache } from 'lru-cache';
import { silentLogger } from '../telemetry/events.js';
import type { Logger } from '../telemetry/events.js';
import { DEFAULT_ACTIVE_USERS_CAPACITY } from '../cache/active-users-log.js';
import type { ActiveUsersLog } from '../cache/active-users-log.js';

export type { ActiveUsersLog } from '../cache/active-users-log.js';

/**
 * Who read recently: what a cutover warm-up (`warm-up.ts`) precomputes a new model version for.
 *
 * Two parts. An `ActiveUsersLog` keeps a bounded "user → last seen" record shared by replicas (a Redis sorted set,
 * `cache/redis-active-users.ts`; or `MemoryActiveUsers` for one process). The `ActivityRecorder` sits on the read
 * path and keeps it cheap there: `touch` is synchronous and allocation-light, each user is recorded at most once per
 * `minIntervalMs` (a minute by default: the warm-up ranks by recency, minute resolution is plenty), and what is
 * recorded goes to the log in one batched write per `flushIntervalMs`. A failed write is dropped, never retried on the
 * read path: activity is a hint for warm-up, not data anyone is served from.
 */
/** The log in this process's memory, for the memory store (one process) and for tests. */
export class MemoryActiveUsers implements ActiveUsersLog {
  /** Insertion order is recency order: a user seen again is moved to the end. */
  readonly #lastSeen = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_ACTIVE_USERS_CAPACITY) {
    this.#capacity = capacity;
  }

  async record(seen: ReadonlyArray<readonly [string, number]>): Promise<void> {
    for (const [userId, at] of seen) {
      this.#lastSeen.delete(userId);
      this.#lastSeen.set(userId, at);
    }
    for (const userId of this.#lastSeen.keys()) {
      if (this.#lastSeen.size <= this.#capacity) break;
      this.#lastSeen.delete(userId);
    }
  }

  async mostRecent(limit: number): Promise<string[]> {
    return [...this.#lastSeen.keys()].slice(-Math.max(0, limit)).reverse();
  }

  async close(): Promise<void> {
    this.#lastSeen.clear();
  }
}

export interface ActivityRecorderOptions {
  readonly log: ActiveUsersLog;
  /** A user is recorded at most once per this interval. Default 60 s. */
  readonly minIntervalMs?: number;
  /** How often recorded users are written to the log, in one batch. Default 1 s. */
  readonly flushIntervalMs?: number;
  /** A batch this large is written at once rather than waiting for the timer. Default 1,000. */
  readonly flushAtCount?: number;
  /** Users whose last recording this process remembers (to skip repeats); bounded memory. Default 100,000. */
  readonly maxTracked?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export class ActivityRecorder {
  readonly #log: ActiveUsersLog;
  readonly #minIntervalMs: number;
  readonly #flushAtCount: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #recordedAt: LRUCache<string, number>;
  #pending = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: ActivityRecorderOptions) {
    this.#log = options.log;
    this.#minIntervalMs = options.minIntervalMs ?? 60_000;
    this.#flushAtCount = options.flushAtCount ?? 1_000;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#recordedAt = new LRUCache<string, number>({ max: options.maxTracked ?? 100_000 });
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** The read path's call: synchronous, and a map lookup per user unless the user is due to be recorded. */
  touch(userIds: readonly string[]): void {
    const now = this.#now();
    for (const userId of userIds) {
      const last = this.#recordedAt.get(userId);
      if (last !== undefined && now - last < this.#minIntervalMs) continue;
      this.#recordedAt.set(userId, now);
      this.#pending.set(userId, now);
    }
    if (this.#pending.size >= this.#flushAtCount) void this.flush();
  }

  /** Writes what is pending in one batch; resolves when it (and any earlier flush) is done. Never rejects. */
  flush(): Promise<void> {
    if (this.#pending.size === 0) return this.#flushing;
    const batch = [...this.#pending];
    this.#pending = new Map();
    this.#flushing = this.#flushing.then(async () => {
      try {
        await this.#log.record(batch);
      } catch (error) {
        this.#logger.debug({ err: error, users: batch.length }, 'active users not recorded; warm-up may miss them');
      }
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is pending (not the log itself: whoever built it closes it). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
