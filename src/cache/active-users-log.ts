/**
 * Where recent activity is kept: a bounded "user → last seen" record shared by replicas (a Redis sorted set,
 * `redis-active-users.ts`; or `MemoryActiveUsers` in `recs/active-users.ts` for one process). Storage only: the
 * read path's recorder and the warm-up that reads it back live in `recs/`.
 */
export interface ActiveUsersLog {
  /** Records that these users were active at these times (epoch ms); keeps only the most recent `capacity`. */
  record(seen: ReadonlyArray<readonly [userId: string, at: number]>): Promise<void>;
  /** The most recently active user ids, most recent first, at most `limit`. */
  mostRecent(limit: number): Promise<string[]>;
  close(): Promise<void>;
}

/** How many users the log keeps by default: the warm-up never asks for more than this. */
export const DEFAULT_ACTIVE_USERS_CAPACITY = 100_000;
