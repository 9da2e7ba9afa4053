import { GraphQLError, OperationTypeNode, execute, getVariableValues } from 'graphql';
import type { ExecutionResult, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { CompiledQuery } from 'graphql-jit';
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import type { GatewayContext } from './context.js';
import type { HandedOverResults } from './handed-over-results.js';
import type { KnownOperations } from './known-operations.js';
import { splicedOperation } from './item-lists/spliced-operation.js';

/** Apollo Server's gateway contract, taken from its own constructor options (the one supported executor hook). */
export type GatewayInterface = ApolloServerOptionsWithGateway<GatewayContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type GatewayRequestContext = Parameters<GatewayExecutor>[0];

/** Which executor runs validated operations: graphql-js (`reference`) or compiled ones (`jit`). */
export type ExecutorKind = 'reference' | 'jit';

export interface JitExecutorOptions {
  /** Compiled operations kept (by query hash and operation name); a client's documents are a small, fixed set. */
  readonly maxCompiled?: number;
  /** Where compiled query operations are published for the fast path (`fast-path.ts`). Without it, Apollo answers all. */
  readonly known?: KnownOperations;
  /** Where the fast path hands over the results it could not answer alone (they had errors). */
  readonly handedOver?: HandedOverResults;
}

/** Apollo's executor hook, filled with graphql-jit: given to Apollo Server as its `gateway` option. */
export interface JitExecutor extends GatewayInterface {
  /** Operations cached (compiled, or marked to run on graphql-js), for tests and diagnostics. */
  readonly compiledCount: number;
}

const DEFAULT_MAX_COMPILED = 1_000;
/** Marks a document that runs on graphql-js (see createJitExecutor). */
const REFERENCE = Symbol('reference executor');

/**
 * Runs operations through graphql-jit instead of graphql-js, plugged into Apollo Server as a "gateway": the one hook
 * Apollo Server 5 offers for replacing execution (`GatewayInterface.load()` returns `{ executor }`). Everything before
 * execution stays Apollo's: parsing, the document cache, validation with every rule (the operation limits and, where
 * introspection is off, the introspection rule), plugins, error formatting and HTTP handling.
 *
 * Why it pays: graphql-js walks the AST for every request (collect fields, look up definitions, build `info`, one
 * promise per field). graphql-jit does that walk once per document and emits a function with the walk unrolled, so
 * a cached hit costs the resolver calls and little else. Compiled functions are cached by Apollo's query hash (the
 * SHA-256 of the query text, which Apollo computes anyway) plus the operation name.
 *
 * Where graphql-jit and graphql-js differ, graphql-js wins (test/graphql/executor-parity.test.ts pins each case):
 *
 * - Variable coercion. graphql-jit reports bad variables with its own error objects (no AST `nodes`), which Apollo
 *   would not recognise as `BAD_USER_INPUT`. When an operation fails before executing (errors, no data), the
 *   variables are coerced again with graphql-js: its errors are returned if it finds any, and if it finds none the
 *   operation runs on graphql-js instead. That only costs the failure path.
 * - Default values of variables. graphql-jit 0.8 ignores a default on a non-null variable (`$id: ID! = "u1"` left out
 *   reads as "not provided"); operations declaring any default run on graphql-js (GraphiQL's sample query does).
 * - Errors thrown without `extensions` (see `withExtensions`).
 */
export function createJitExecutor(schema: GraphQLSchema, options: JitExecutorOptions = {}): JitExecutor {
  const { known, handedOver } = options;
  const compiled = new LRUCache<string, CompiledQuery | typeof REFERENCE>({
    max: options.maxCompiled ?? DEFAULT_MAX_COMPILED,
  });
  const reference = (request: GatewayRequestContext): Promise<ExecutionResult> | ExecutionResult =>
    execute({
      schema,
      document: request.document,
      contextValue: request.context,
      variableValues: request.request.variables,
      operationName: request.request.operationName,
    });

  const executor = async (request: GatewayRequestContext): Promise<ExecutionResult> => {
    // Apollo resolved no operation (the request named one the document lacks, `""` included): graphql-js reports
    // that as the error Apollo expects. graphql-jit would read `""` as no name and run the document's only operation.
    if ((request.operation as OperationDefinitionNode | undefined) === undefined) return reference(request);
    const operationName = request.request.operationName ?? undefined;
    const key = operationName === undefined ? request.queryHash : `${request.queryHash}\u0000${operationName}`;
    let query = compiled.get(key);
    if (query === undefined) {
      if (hasVariableDefaults(request.operation)) {
        query = REFERENCE;
      } else {
        const result = compileQuery(schema, request.document, operationName);
        // Not compiled: e.g. the operation name matches no operation. The result carries graphql-js's own error.
        if (!isCompiledQuery(result)) return result;
        query = result;
      }
      compiled.set(key, query);
    }
    if (query === REFERENCE) return reference(request);
    // Apollo has parsed, validated and resolved this text and name: the fast path may run it from now on. Checked on
    // every request Apollo runs, not only at compile time, so an operation the registry dropped comes back.
    if (
      known !== undefined &&
      request.operation.operation === OperationTypeNode.QUERY &&
      request.source !== undefined
    ) {
      if (known.find(request.source, request.request.operationName) === undefined) {
        known.remember(request.source, request.request.operationName, {
          compiled: query,
          operationName: request.operationName,
          spliced: splicedOperation(schema, request.document, operationName),
        });
      }
    }
    // A result the fast path computed for this very request (it had errors, so Apollo answers): not run twice.
    const result =
      handedOver?.takeOver((request.context as GatewayContext).record) ??
      (await query.query(undefined, request.context, request.request.variables));
    if (result.errors === undefined || result.errors.length === 0) return result;
    if (result.data === undefined) return referenceVariableErrors(schema, request) ?? reference(request);
    return { ...result, errors: result.errors.map(withExtensions) };
  };

  return {
    get compiledCount() {
      return compiled.size;
    },
    onSchemaLoadOrUpdate(callback) {
      // The schema is fixed for the process' life: announce it once, never update it.
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {
      compiled.clear();
      known?.clear();
    },
  };
}

// Private: making graphql-jit's errors look like graphql-js's.

/**
 * graphql-jit copies `extensions` from the resolver's error and leaves it undefined when there are none (a plain
 * `Error`); graphql-js always sets an object, and Apollo's error formatting reads `extensions.code` without a
 * guard. Such errors are rebuilt as graphql-js errors with the same message, locations, path and original error.
 */
function withExtensions(error: GraphQLError): GraphQLError {
  if (error.extensions !== undefined) return error;
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
  });
  return Object.assign(rebuilt, { locations: error.locations });
}

function hasVariableDefaults(operation: OperationDefinitionNode | undefined): boolean {
  return operation?.variableDefinitions?.some((definition) => definition.defaultValue !== undefined) ?? false;
}

/** graphql-js's own errors for variables that do not coerce. */
function referenceVariableErrors(schema: GraphQLSchema, request: GatewayRequestContext): ExecutionResult | undefined {
  const definitions = request.operation.variableDefinitions ?? [];
  const coerced = getVariableValues(schema, definitions, request.request.variables ?? {}, { maxErrors: 50 });
  return coerced.errors === undefined ? undefined : { errors: coerced.errors };
}
