import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import { knownOperationTypesRule } from './known-operation-types-rule.js';

/**
 * Operation-shape limits, checked during validation before anything executes (graphql-js documents `maxErrors`
 * the same way: as a guard against documents built to cost the server). Each `recommendations` alias is one user,
 * so the alias limit is also the cap on users per request.
 */
export const OPERATION_LIMITS = {
  maxDepth: 8,
  maxAliases: 100,
  /** Lexer tokens per document (graphql-js `parse` option): stops huge documents before they are even parsed. */
  maxTokens: 10_000,
} as const;

export function operationLimitRules(): ValidationRule[] {
  // graphql-armor's default (`propagateOnRejection: true`) *throws* the rejection out of `validate`, which Apollo
  // answers as a 500 INTERNAL_SERVER_ERROR; reported on the context instead, it is a GRAPHQL_VALIDATION_FAILED.
  const rejection = { propagateOnRejection: false, onReject: [reportRejection] };
  return [
    maxDepthRule({ n: OPERATION_LIMITS.maxDepth, exposeLimits: true, ...rejection }),
    maxAliasesRule({ n: OPERATION_LIMITS.maxAliases, exposeLimits: true, ...rejection }),
    // Not a limit, but checked in the same pass: a subscription (the schema has none) is the client's error.
    knownOperationTypesRule,
  ];
}

function reportRejection(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(error);
}
