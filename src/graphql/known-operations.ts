import { createHash } from 'node:crypto';
import type { CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { SplicedOperation } from './item-lists/spliced-operation.js';

/** A query operation Apollo has parsed, validated and resolved once, with the function graphql-jit compiled for it. */
export interface KnownOperation {
  readonly compiled: CompiledQuery;
  /** The operation's own name in the document (what Apollo reports as `operationName`); null when anonymous. */
  readonly operationName: string | null;
  /** The same operation with its lists' items written from a memo, when it has the plain shape that allows it. */
  readonly spliced?: SplicedOperation;
}

const DEFAULT_MAX_OPERATIONS = 1_000;

/**
 * The documents the fast path may answer without Apollo (`fast-path.ts`), keyed by the exact query text and the
 * operation name the request asked for, and found as well by the SHA-256 of that text (what an automatic persisted
 * query sends instead of the text). Only the compiled executor adds to it, and only after Apollo's pipeline has
 * accepted the document for that operation name: parsed within the token limit, validated with every rule (depth,
 * aliases, introspection where it is off) and resolved to a query operation. The same text and name always parse,
 * validate and resolve the same way, so a later request with them may skip straight to execution.
 */
export class KnownOperations {
  readonly #operations: LRUCache<string, KnownOperation>;
  /** Text by its SHA-256, for the texts in `#operations` (a text is hashed once, when it becomes known). */
  readonly #texts: LRUCache<string, string>;

  constructor(maxOperations = DEFAULT_MAX_OPERATIONS) {
    this.#operations = new LRUCache({ max: maxOperations });
    this.#texts = new LRUCache({ max: maxOperations });
  }

  get size(): number {
    return this.#operations.size;
  }

  /** `requestedName` is the request's `operationName` (undefined or null when it named none). */
  remember(source: string, requestedName: string | null | undefined, operation: KnownOperation): void {
    this.#operations.set(keyOf(source, requestedName), operation);
    // A text's entry goes at the latest with its last operation's: the lookup by hash ends in `find` anyway.
    this.#texts.set(sha256(source), source);
  }

  /** Undefined for anything not remembered, and for a requested name that is not a GraphQL name (`""` included). */
  find(source: string, requestedName: string | null | undefined): KnownOperation | undefined {
    if (typeof requestedName === 'string' && !GRAPHQL_NAME.test(requestedName)) return undefined;
    return this.#operations.get(keyOf(source, requestedName));
  }

  /** The known text whose SHA-256 (64 lower-case hex digits, as APQ sends it) this is, if any. */
  textOf(sha256Hash: string): string | undefined {
    return this.#texts.get(sha256Hash);
  }

  clear(): void {
    this.#operations.clear();
    this.#texts.clear();
  }
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

// The name goes first and cannot hold a NUL (only GraphQL names are looked up, and only operations that matched a
// name are remembered), so the first NUL always ends it, whatever the query text holds.
function keyOf(source: string, requestedName: string | null | undefined): string {
  return `${requestedName ?? ''}\u0000${source}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
