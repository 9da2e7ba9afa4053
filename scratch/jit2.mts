import { readFileSync } from 'node:fs';
import { parse, execute } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { buildExecutableSchema } from '../src/graphql/schema.ts';
const schema = buildExecutableSchema(readFileSync('/work/main/schema.graphql', 'utf8'), {
  Query: { recommendations: () => ({ userId: 'u', modelVersion: 'v1', generatedAt: new Date(0), ageSeconds: 1, source: 'CACHE', items: [
    { rank: 1, score: 0.5, item: { id: 'i1', title: 't', category: 'c' } },
    { rank: 2, score: 0.4, item: new Error('item i9 is not in the catalogue') },
  ] }) },
  DateTime: (await import('../src/graphql/scalars.ts')).DateTimeScalar,
} as never);
const q = '{ recommendations(userId: "u") { userId items { rank score item { id title } } } }';
const c = compileQuery(schema, parse(q), undefined, { debug: true } as never);
if (!isCompiledQuery(c)) throw new Error('x');
console.log(JSON.stringify(await c.query(undefined, {}, {})));
console.log(JSON.stringify(await execute({ schema, document: parse(q) })));
const q2 = '{ recommendations(userId: "u") { userId items { rank score } } }';
const c2 = compileQuery(schema, parse(q2)); if (!isCompiledQuery(c2)) throw new Error('y');
console.log(JSON.stringify(await c2.query(undefined, {}, {})));
