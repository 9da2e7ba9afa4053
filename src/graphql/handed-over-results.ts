import type { ExecutionResult } from 'graphql';

/**
 * Carries results across from the fast path to Apollo, one per request: when a fast execution ends with errors, the
 * fast path hands its result over (`handOver`) and lets Apollo answer; Apollo's executor takes the result back
 * (`takeOver`) instead of executing a second time, so resolvers never run twice for one request, and every error is
 * formatted by Apollo's own pipeline.
 */
export class HandedOverResults {
  readonly #results = new WeakMap<object, ExecutionResult>();

  /**
   * The fast path's result for one request, for Apollo's executor to answer with. `request` must be an object both
   * see for that request and no other: not the context itself, which Apollo copies (shallowly) before executing, but
   * an object the context holds, such as the request's record.
   */
  handOver(request: object, result: ExecutionResult): void {
    this.#results.set(request, result);
  }

  /** The result handed over for this request, if any; taken once. */
  takeOver(request: object): ExecutionResult | undefined {
    const result = this.#results.get(request);
    if (result !== undefined) this.#results.delete(request);
    return result;
  }
}
