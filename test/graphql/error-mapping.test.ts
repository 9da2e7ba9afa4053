import { GraphQLError, buildSchema, graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  BadUserInputError,
  ClientError,
  ConflictError,
  ErrorCode,
  ForbiddenError,
  ModelUnavailableError,
  PurchaseNotAppliedError,
  QueryNotInSafelistError,
  RateLimitedError,
  UnauthenticatedError,
} from '../../src/errors.js';
import { asGraphQLError, toGraphQLError } from '../../src/graphql/error-mapping.js';

describe('client errors', () => {
  it('are plain errors carrying their code, mapped to GraphQL errors with the same message and extensions', () => {
    const cause = new Error('redis: connection refused');
    // Each with the extensions it had when it was a GraphQLError itself (key order included).
    const cases: Array<readonly [ClientError, Record<string, unknown>]> = [
      [new BadUserInputError('first must be 1-100', 'first'), { code: 'BAD_USER_INPUT', argumentName: 'first' }],
      [new ModelUnavailableError(cause), { code: 'MODEL_UNAVAILABLE' }],
      [new UnauthenticatedError('the token is not valid'), { code: 'UNAUTHENTICATED', http: { status: 401 } }],
      [new ForbiddenError('record purchases'), { code: 'FORBIDDEN' }],
      [new ConflictError('orderId o-1 was already recorded'), { code: 'CONFLICT' }],
      [new RateLimitedError('purchases', 3), { code: 'RATE_LIMITED', retryAfterSeconds: 3 }],
      [
        new PurchaseNotAppliedError('o-2', 1, cause),
        { code: 'STORE_UNAVAILABLE', retryable: true, retryAfterSeconds: 1 },
      ],
      [new QueryNotInSafelistError(), { code: 'QUERY_NOT_IN_SAFELIST', http: { status: 400 } }],
    ];
    for (const [error, extensions] of cases) {
      expect(error).not.toBeInstanceOf(GraphQLError);
      expect(error.code).toBe(extensions.code);
      const mapped = toGraphQLError(error);
      expect(mapped).toBeInstanceOf(GraphQLError);
      expect(mapped.message).toBe(error.message);
      expect(mapped.originalError).toBe(error);
      expect(JSON.stringify(mapped.extensions)).toBe(JSON.stringify(extensions));
    }
  });

  it('keep their cause on the server side', () => {
    const cause = new Error('jwt malformed');
    expect(new UnauthenticatedError('the token is not valid', cause).cause).toBe(cause);
    expect(new UnauthenticatedError('the token is not valid').cause).toBeUndefined();
    expect(new PurchaseNotAppliedError('o-3', 2, cause).message).toBe(
      'The purchase of order o-3 is not recorded yet: the cache store is unavailable; retry with the same orderId after 2 s',
    );
  });

  it('pass through anything that is not a client error', () => {
    const plain = new Error('boom');
    const graphQLError = new GraphQLError('no', { extensions: { code: ErrorCode.FORBIDDEN } });
    expect(asGraphQLError(plain)).toBe(plain);
    expect(asGraphQLError(graphQLError)).toBe(graphQLError);
    expect(asGraphQLError(new ForbiddenError('purge model versions'))).toBeInstanceOf(GraphQLError);
  });

  it('thrown by a resolver, reach the response with their code and data (graphql-js takes their extensions)', async () => {
    const schema = buildSchema('type Query { purchase: Boolean }');
    const result = await graphql({
      schema,
      source: '{ purchase }',
      rootValue: {
        purchase: () => {
          throw new RateLimitedError('purchases', 4);
        },
      },
    });
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      errors: [
        {
          message: 'Rate limited: too many purchases; retry after 4 s',
          locations: [{ line: 1, column: 3 }],
          path: ['purchase'],
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 4 },
        },
      ],
      data: { purchase: null },
    });
  });
});
