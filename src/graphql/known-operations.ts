import type { ExecutionResult } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

/** A query operation Apollo has parsed, validated and resolved once, with the function graphql-jit compiled for it. */
export interface KnownOperation {
  readonly compiled: CompiledQuery;
  /** The operation's own name in the document (what Apollo reports as `operationName`); null when anonymous. */
  readonly operationName: string | null;
}

const DEFAULT_MAX_OPERATIONS = 1_000;

/**
 * The documents the fast path may answer without Apollo (`fast-path.ts`), keyed by the exact query text and the
 * operation name the request asked for. Only the compiled executor adds to it, and only after Apollo's pipeline
 * has accepted the document for that operation name: parsed within the token limit, validated with every rule
 * (depth, aliases, introspection where it is off) and resolved to a query operation. The same text and name
 * always parse, validate and resolve the same way, so a later request with them may skip straight to execution.
 *
 * It also carries results across from the fast path to Apollo: when a fast execution ends with errors, the fast
 * path hands its result over (`handOver`) and lets Apollo answer; Apollo's executor takes the result back
 * (`takeOver`) instead of executing a second time, so resolvers never run twice for one request, and every error
 * is formatted by Apollo's own pipeline.
 */
export class KnownOperations {
  readonly #operations: LRUCache<string, KnownOperation>;
  readonly #handedOver = new WeakMap<object, ExecutionResult>();

  constructor(maxOperations = DEFAULT_MAX_OPERATIONS) {
    this.#operations = new LRUCache({ max: maxOperations });
  }

  get size(): number {
    return this.#operations.size;
  }

  /** `requestedName` is the request's `operationName` (undefined or null when it named none). */
  remember(source: string, requestedName: string | null | undefined, operation: KnownOperation): void {
    this.#operations.set(keyOf(source, requestedName), operation);
  }

  /** Undefined for anything not remembered, and for a requested name that is not a GraphQL name (`""` included). */
  find(source: string, requestedName: string | null | undefined): KnownOperation | undefined {
    if (typeof requestedName === 'string' && !GRAPHQL_NAME.test(requestedName)) return undefined;
    return this.#operations.get(keyOf(source, requestedName));
  }

  /**
   * The fast path's result for one request, for Apollo's executor to answer with. `request` must be an object both
   * see for that request and no other: not the context itself, which Apollo copies (shallowly) before executing, but
   * an object the context holds, such as the request's record.
   */
  handOver(request: object, result: ExecutionResult): void {
    this.#handedOver.set(request, result);
  }

  /** The result handed over for this request, if any; taken once. */
  takeOver(request: object): ExecutionResult | undefined {
    const result = this.#handedOver.get(request);
    if (result !== undefined) this.#handedOver.delete(request);
    return result;
  }

  clear(): void {
    this.#operations.clear();
  }
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

// The name goes first and cannot hold a NUL (only GraphQL names are looked up, and only operations that matched a
// name are remembered), so the first NUL always ends it, whatever the query text holds.
function keyOf(source: string, requestedName: string | null | undefined): string {
  return `${requestedName ?? ''}\u0000${source}`;
}
