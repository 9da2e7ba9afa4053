/** The fast path's registry on its own: exact keys (text and requested name, or the text's hash), bounded size; hand-over taken once. */
import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';
import { KnownOperations } from '../../src/graphql/known-operations.js';
import type { KnownOperation } from '../../src/graphql/known-operations.js';
import { HandedOverResults } from '../../src/graphql/handed-over-results.js';
import { buildExecutableSchema } from '../../src/graphql/schema.js';

const schema = buildExecutableSchema('type Query { a: Int }', {});
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function operation(name: string | null): KnownOperation {
  const compiled = compileQuery(schema, parse(name === null ? '{ a }' : `query ${name} { a }`));
  if (!isCompiledQuery(compiled)) throw new Error('did not compile');
  return { compiled, operationName: name };
}

describe('KnownOperations', () => {
  it('finds an operation only by the exact text and the exact requested name', () => {
    const known = new KnownOperations();
    const named = operation('A');
    const anonymous = operation(null);
    known.remember('query A { a } query B { a }', 'A', named);
    known.remember('{ a }', undefined, anonymous);
    expect(known.find('query A { a } query B { a }', 'A')).toBe(named);
    expect(known.find('query A { a } query B { a }', 'B')).toBeUndefined();
    expect(known.find('query A { a } query B { a }', undefined)).toBeUndefined();
    expect(known.find('query A { a } query B { a } ', 'A')).toBeUndefined();
    // No name and a null name are the same request to Apollo.
    expect(known.find('{ a }', null)).toBe(anonymous);
    expect(known.find('{ a }', undefined)).toBe(anonymous);
  });

  it('never answers for a requested name that is not a GraphQL name, the empty one included', () => {
    const known = new KnownOperations();
    known.remember('{ a }', undefined, operation(null));
    // Apollo treats "" as a name that matches no operation: it must not fall through to the anonymous entry.
    expect(known.find('{ a }', '')).toBeUndefined();
    expect(known.find('{ a }', 'with space')).toBeUndefined();
  });

  it('cannot be fooled by a NUL in the text into another entry', () => {
    const known = new KnownOperations();
    known.remember('query A { a }', 'A', operation('A'));
    // Text and name are joined as `name NUL text`; a forged text with the separator in it lands elsewhere.
    expect(known.find('A\u0000query A { a }', undefined)).toBeUndefined();
    expect(known.find('query A { a }', 'A\u0000')).toBeUndefined();
  });

  it('keeps at most the configured number of operations, dropping the least recently used', () => {
    const known = new KnownOperations(2);
    known.remember('{ a }', 'X', operation('X'));
    known.remember('{ a }', 'Y', operation('Y'));
    expect(known.find('{ a }', 'X')).toBeDefined();
    known.remember('{ a }', 'Z', operation('Z'));
    expect(known.size).toBe(2);
    expect(known.find('{ a }', 'Y')).toBeUndefined();
    expect(known.find('{ a }', 'X')).toBeDefined();
  });

  it('finds a known text by its SHA-256, and nothing else by it', () => {
    const known = new KnownOperations();
    const text = 'query A { a }';
    known.remember(text, 'A', operation('A'));
    expect(known.textOf(sha256(text))).toBe(text);
    expect(known.textOf(sha256(`${text} `))).toBeUndefined();
    expect(known.textOf(sha256(text).toUpperCase())).toBeUndefined();
    known.clear();
    expect(known.textOf(sha256(text))).toBeUndefined();
  });
});

describe('HandedOverResults', () => {
  it('hands a result over for one context, taken once', () => {
    const handedOver = new HandedOverResults();
    const context = {};
    const result = { data: { a: 1 } };
    handedOver.handOver(context, result);
    expect(handedOver.takeOver({})).toBeUndefined();
    expect(handedOver.takeOver(context)).toBe(result);
    expect(handedOver.takeOver(context)).toBeUndefined();
  });
});
