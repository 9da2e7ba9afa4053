import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** RFC 3339's date-time (a profile of ISO 8601), as `schema.graphql` states with `@specifiedBy`. */
export const DATE_TIME_SPEC = 'https://datatracker.ietf.org/doc/html/rfc3339#section-5.6';

/** DateTime: an ISO-8601 UTC string on the wire, a `Date` inside resolvers. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  // graphql-tools copies this object's config over the SDL's: both repeat schema.graphql's description and @specifiedBy.
  description:
    'An instant in UTC, written as an RFC 3339 (ISO-8601) date-time string with milliseconds, e.g.\n2026-11-27T08:00:00.000Z. Generated client types should map it to `string`.',
  specifiedByURL: DATE_TIME_SPEC,
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime()))
      throw new GraphQLError(`DateTime cannot represent an invalid date: ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string, but got: ${JSON.stringify(value)}`);
  }
  return date;
}
