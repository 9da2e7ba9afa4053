import { GraphQLError } from 'graphql';
import type { ASTVisitor, ValidationContext } from 'graphql';

/**
 * Refuses an operation whose type the schema does not have (here: any `subscription`), as a validation error.
 * graphql-js 16 has no such rule (v17 adds `KnownOperationTypesRule`): without it the operation reaches the executor,
 * which fails it with an error that carries no code, and the client gets an INTERNAL_SERVER_ERROR (masked in
 * production) for what is plainly its own mistake.
 */
export function knownOperationTypesRule(context: ValidationContext): ASTVisitor {
  const schema = context.getSchema();
  return {
    OperationDefinition(node) {
      if (schema.getRootType(node.operation) === undefined) {
        context.reportError(
          new GraphQLError(`The ${node.operation} operation is not supported by the schema.`, { nodes: node }),
        );
      }
    },
  };
}
