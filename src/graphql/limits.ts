import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { ValidationRule } from 'graphql';

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
  return [
    maxDepthRule({ n: OPERATION_LIMITS.maxDepth, exposeLimits: true }) as unknown as ValidationRule,
    maxAliasesRule({ n: OPERATION_LIMITS.maxAliases, exposeLimits: true }) as unknown as ValidationRule,
  ];
}
