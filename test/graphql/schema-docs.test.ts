/** The served schema documents itself: every element has a description, DateTime names its spec, defaults are true. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isEnumType, isInputObjectType, isIntrospectionType, isObjectType, isScalarType } from 'graphql';
import type { GraphQLArgument, GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createResolvers } from '../../src/graphql/resolvers.js';
import { defaultFirst, withFirstDefault } from '../../src/graphql/list-size.js';
import { DATE_TIME_SPEC } from '../../src/graphql/scalars.js';
import { buildExecutableSchema } from '../../src/graphql/schema.js';

const SCHEMA_PATH = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

async function servedSchema(listSize: number): Promise<GraphQLSchema> {
  const first = defaultFirst(listSize);
  const typeDefs = withFirstDefault(await readFile(SCHEMA_PATH, 'utf8'), first);
  return buildExecutableSchema(typeDefs, createResolvers({ maxFirst: listSize, defaultFirst: first }));
}

/** Every type, field, argument, input field and enum value of ours (built-in scalars and introspection types aside). */
function undocumented(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (path: string, description: string | null | undefined): void => {
    if (description === undefined || description === null || description.trim().length < 3) missing.push(path);
  };
  const checkArgs = (path: string, args: readonly GraphQLArgument[]): void => {
    for (const arg of args) check(`${path}(${arg.name}:)`, arg.description);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (
      isIntrospectionType(type) ||
      (isScalarType(type) && ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
    )
      continue;
    check(type.name, type.description);
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        checkArgs(`${type.name}.${field.name}`, field.args);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

function firstDefault(schema: GraphQLSchema, typeName: string): unknown {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
  return type.getFields()['recommendations']?.args.find((arg) => arg.name === 'first')?.defaultValue;
}

describe('the schema documents itself', () => {
  it('has a description on every type, field, argument, input field and enum value', async () => {
    const schema = await servedSchema(100);
    expect(undocumented(schema)).toEqual([]);
    // The check itself finds a gap: an undocumented field in an otherwise documented schema.
    const gap = buildExecutableSchema('"Reads." type Query { "The answer." answer(x: Int): Int }', {});
    expect(undocumented(gap)).toEqual(['Query.answer(x:)']);
  });

  it('names the DateTime spec with @specifiedBy, in the served schema too', async () => {
    const schema = await servedSchema(100);
    const dateTime = schema.getType('DateTime');
    if (!isScalarType(dateTime)) throw new Error('DateTime is not a scalar');
    expect(dateTime.specifiedByURL).toBe(DATE_TIME_SPEC);
    const sdl = await readFile(SCHEMA_PATH, 'utf8');
    expect(sdl).toContain(`scalar DateTime @specifiedBy(url: "${DATE_TIME_SPEC}")`);
  });

  it('states the default of first in force: 20, or the list size when smaller', async () => {
    expect(defaultFirst(100)).toBe(20);
    expect(defaultFirst(20)).toBe(20);
    expect(defaultFirst(7)).toBe(7);
    for (const [listSize, expected] of [
      [100, 20],
      [7, 7],
    ] as const) {
      const schema = await servedSchema(listSize);
      expect(firstDefault(schema, 'Query')).toBe(expected);
      expect(firstDefault(schema, 'RecordPurchasePayload')).toBe(expected);
    }
  });
});
