/**
 * Which request is loading which users' lists, so a model call made for those users can name the request to the
 * model service (`x-request-id`) without async context. Async context (AsyncLocalStorage) would carry the id too,
 * but on Node 20 it switches on a hook for every promise in the process, which measured +24 % CPU on a cache hit
 * (docs/operations.md); this costs a map entry per user per request. With tracing on, the request's context (which
 * tracing pays for anyway) is used first.
 *
 * Two requests loading the same user at once share its computation; the call then names one of them.
 */
export class RequestIdsByUser {
  readonly #ids = new Map<string, string>();

  /** Runs `work` with `userIds` attributed to `requestId`, and forgets them afterwards. */
  async during<T>(userIds: readonly string[], requestId: string, work: () => Promise<T>): Promise<T> {
    for (const userId of userIds) this.#ids.set(userId, requestId);
    try {
      return await work();
    } finally {
      for (const userId of userIds) if (this.#ids.get(userId) === requestId) this.#ids.delete(userId);
    }
  }

  /** The request loading any of these users, if one is. */
  of(userIds: readonly string[]): string | undefined {
    for (const userId of userIds) {
      const id = this.#ids.get(userId);
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /** Users attributed right now (for tests: nothing is kept once the requests are done). */
  get size(): number {
    return this.#ids.size;
  }
}
