import { GraphQLError } from 'graphql';
import type { ValidationRule } from 'graphql';
import { ApolloServerValidationErrorCode } from '@apollo/server/errors';

/** The setting that switches introspection on, named in the refusal so the operator reading it knows what to change. */
export const INTROSPECTION_SETTING = 'GRAPHQL_INTROSPECTION';

export const INTROSPECTION_OFF_MESSAGE =
  `GraphQL introspection is off on this gateway (the production default): the query asked for __schema or __type. ` +
  `Operators enable it with ${INTROSPECTION_SETTING}=true.`;

/**
 * Refuses `__schema` and `__type` when introspection is off, exactly as Apollo's own rule does (same code, same
 * `validationErrorCode`; `__typename` stays allowed), but with a message about this gateway: Apollo's tells whoever
 * reads it to "pass introspection: true to ApolloServer", which an operator of the gateway cannot do.
 */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value !== '__schema' && node.name.value !== '__type') return;
    context.reportError(
      new GraphQLError(INTROSPECTION_OFF_MESSAGE, {
        nodes: [node],
        extensions: { validationErrorCode: ApolloServerValidationErrorCode.INTROSPECTION_DISABLED },
      }),
    );
  },
});
