/**
 * The model-service protocol: JSON over HTTP between the gateway (`http-model.ts`) and a ranking service (the
 * reference one is `server/model-server.ts`). Version 1, under `/v1/`:
 *
 *   POST /v1/rank       {"userIds": ["u1", "u2"], "limit": 100}
 *                   200 {"modelVersion": "v2",
 *                        "lists": [{"userId": "u1", "modelVersion": "v2", "items": [{"itemId": "i7", "score": 0.93}]},
 *                                  {"userId": "u2", "error": "why this user could not be ranked"}]}
 *                       One entry per requested user, in request order. Each list names the version that computed it
 *                       (a service mid-rollout may mix versions); the top-level `modelVersion` is the service's active
 *                       version when it answered. Items are best first.
 *   GET  /v1/version    200 {"modelVersion": "v2"}
 *   POST /v1/purchases  {"userId": "u1", "itemId": "i7"}   204, no body. Idempotent: recording a pair twice is a no-op.
 *
 *   400 {"error": "..."} for a request that breaks these shapes; 5xx for the service's own failures.
 *
 * Versions and user ids end up inside cache keys, so a response is checked strictly before anything is believed:
 * a version must match VERSION_PATTERN, lists must line up with the request, scores must be finite. A body that
 * fails any check is a `bad-response` error, never a crash and never a mislabelled list.
 */

export const RANK_PATH = '/v1/rank';
export const VERSION_PATH = '/v1/version';
export const PURCHASES_PATH = '/v1/purchases';
/** Sent with every call made for a gateway request: the gateway's request id, so both logs can be matched. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The characters a model version may use: it becomes part of Redis keys (same rule as MODEL_VERSION). */
export const VERSION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** User ids as the gateway accepts them at its edge: no braces (Redis hash tags) and no white space. */
const USER_ID_PATTERN = /^[^{}\s]{1,256}$/;
/** Upper bound on users in one rank request, for the server's sake; clients split well below it. */
export const MAX_RANK_USERS = 10_000;
export const MAX_RANK_LIMIT = 10_000;

export interface RankRequest {
  readonly userIds: readonly string[];
  readonly limit: number;
}

export interface WireItem {
  readonly itemId: string;
  readonly score: number;
}

export type WireList =
  | { readonly userId: string; readonly modelVersion: string; readonly items: readonly WireItem[] }
  | { readonly userId: string; readonly error: string };

export interface RankResponse {
  readonly modelVersion: string;
  readonly lists: readonly WireList[];
}

export interface VersionResponse {
  readonly modelVersion: string;
}

export interface PurchaseRequest {
  readonly userId: string;
  readonly itemId: string;
}

/** A body that breaks the protocol; `path` points at the offending field, e.g. `lists[3].items[0].score`. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly path: string,
    expected: string,
    got: unknown,
  ) {
    super(`${path} must be ${expected}, but got: ${describe(got)}`);
  }
}

// Responses, checked by the gateway.

/** Checks a rank response against the request it answers: one entry per requested user, in order. */
export function parseRankResponse(body: unknown, userIds: readonly string[]): RankResponse {
  const object = expectObject(body, 'body');
  const modelVersion = expectVersion(object.modelVersion, 'modelVersion');
  const rawLists = object.lists;
  if (!Array.isArray(rawLists)) throw new ProtocolError('lists', 'an array', rawLists);
  if (rawLists.length !== userIds.length) {
    throw new ProtocolError(
      'lists',
      `an array of ${userIds.length} entries, one per requested user`,
      `${rawLists.length} entries`,
    );
  }
  const lists = rawLists.map((raw: unknown, index): WireList => {
    const path = `lists[${index}]`;
    const entry = expectObject(raw, path);
    if (entry.userId !== userIds[index]) {
      throw new ProtocolError(`${path}.userId`, `the requested user ${JSON.stringify(userIds[index])}`, entry.userId);
    }
    const userId = userIds[index] as string;
    if ('error' in entry) {
      if (typeof entry.error !== 'string') throw new ProtocolError(`${path}.error`, 'a string', entry.error);
      return { userId, error: entry.error };
    }
    return {
      userId,
      modelVersion: expectVersion(entry.modelVersion, `${path}.modelVersion`),
      items: expectItems(entry.items, `${path}.items`),
    };
  });
  return { modelVersion, lists };
}

export function parseVersionResponse(body: unknown): VersionResponse {
  const object = expectObject(body, 'body');
  return { modelVersion: expectVersion(object.modelVersion, 'modelVersion') };
}

// Requests, checked by the server.

export function parseRankRequest(body: unknown): RankRequest {
  const object = expectObject(body, 'body');
  const { userIds, limit } = object;
  if (!Array.isArray(userIds) || userIds.length > MAX_RANK_USERS) {
    throw new ProtocolError('userIds', `an array of at most ${MAX_RANK_USERS} user ids`, userIds);
  }
  userIds.forEach((userId: unknown, index) => expectUserId(userId, `userIds[${index}]`));
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_RANK_LIMIT) {
    throw new ProtocolError('limit', `an integer from 0 to ${MAX_RANK_LIMIT}`, limit);
  }
  return { userIds: userIds as string[], limit };
}

export function parsePurchaseRequest(body: unknown): PurchaseRequest {
  const object = expectObject(body, 'body');
  const userId = expectUserId(object.userId, 'userId');
  const { itemId } = object;
  if (typeof itemId !== 'string' || itemId === '' || itemId.length > 256) {
    throw new ProtocolError('itemId', 'a string of 1 to 256 characters', itemId);
  }
  return { userId, itemId };
}

// Private: field checks.

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ProtocolError(path, 'a JSON object', value);
  return value as Record<string, unknown>;
}

function expectVersion(value: unknown, path: string): string {
  if (typeof value !== 'string' || !VERSION_PATTERN.test(value)) {
    throw new ProtocolError(path, "1-64 letters, digits, '.', '_' or '-'", value);
  }
  return value;
}

function expectUserId(value: unknown, path: string): string {
  if (typeof value !== 'string' || !USER_ID_PATTERN.test(value)) {
    throw new ProtocolError(path, 'a user id of 1 to 256 characters without braces or white space', value);
  }
  return value;
}

function expectItems(value: unknown, path: string): WireItem[] {
  if (!Array.isArray(value)) throw new ProtocolError(path, 'an array', value);
  return value.map((raw: unknown, index): WireItem => {
    const item = expectObject(raw, `${path}[${index}]`);
    if (typeof item.itemId !== 'string' || item.itemId === '') {
      throw new ProtocolError(`${path}[${index}].itemId`, 'a non-empty string', item.itemId);
    }
    if (typeof item.score !== 'number' || !Number.isFinite(item.score)) {
      throw new ProtocolError(`${path}[${index}].score`, 'a finite number', item.score);
    }
    return { itemId: item.itemId, score: item.score };
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
