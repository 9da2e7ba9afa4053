/**
 * The key scheme: every key of one user carries the user id as a Redis Cluster hash tag (`{42}`), so the user's
 * list, state and lease live in one slot and a Lua script may touch them together.
 *
 *   <prefix>recs:{<userId>}:<modelVersion>        the ranked list computed by that model version
 *   <prefix>recs:{<userId>}:<modelVersion>:lease  who is recomputing that list right now
 *   <prefix>recs:{<userId>}:state                 generation counter and recent purchases (version independent)
 *   <prefix>recs:active                           sorted set: user id → when last read (bounded; for cutover warm-up)
 *   <prefix>recs:limits:<budget>:<client>         a client's budget count in the current window (limits/client-limits.ts)
 *
 * The model version is part of the list key, so a new version is a fresh namespace: no entry written by an old
 * model can answer a request for a new one. That was the root cause of the incident this product exists for.
 */

export interface UserKeys {
  readonly entry: string;
  readonly lease: string;
  readonly state: string;
}

// Ids are validated at the API edge; this guard keeps a bad id from ever forging another user's hash tag.
const FORBIDDEN_IN_ID = /[{}\s]/;

export function userKeys(prefix: string, userId: string, modelVersion: string): UserKeys {
  if (userId === '' || FORBIDDEN_IN_ID.test(userId)) {
    throw new TypeError(
      `userKeys needs a non-empty user id without braces or white space, but got: ${JSON.stringify(userId)}`,
    );
  }
  const base = `${prefix}recs:{${userId}}`;
  return { entry: `${base}:${modelVersion}`, lease: `${base}:${modelVersion}:lease`, state: `${base}:state` };
}

/**
 * The idempotency record of one checkout order. Keyed by order id alone (not the user's hash tag): the same orderId
 * sent for another user must find this record to be refused as a conflict.
 */
export function orderKey(prefix: string, orderId: string): string {
  if (orderId === '' || FORBIDDEN_IN_ID.test(orderId)) {
    throw new TypeError(
      `orderKey needs a non-empty order id without braces or white space, but got: ${JSON.stringify(orderId)}`,
    );
  }
  return `${prefix}recs:order:${orderId}`;
}

/** The SCAN pattern that matches every list of one model version (and its leases), for a namespace purge. */
export function versionScanPatterns(prefix: string, modelVersion: string): readonly string[] {
  const escaped = escapeGlob(prefix);
  const version = escapeGlob(modelVersion);
  return [`${escaped}recs:{*}:${version}`, `${escaped}recs:{*}:${version}:lease`];
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/**
 * The sorted set of recently active users (score: epoch ms of the last recorded read), read by the cutover warm-up.
 * One key, so one slot on a cluster: gateways write it in batches at most once per user per minute, never per read.
 */
export function activeUsersKey(prefix: string): string {
  return `${prefix}recs:active`;
}

/** Where the per-client budgets shared by every replica are counted; the budget's name and the client follow. */
export function budgetsKeyPrefix(prefix: string): string {
  return `${prefix}recs:limits:`;
}
