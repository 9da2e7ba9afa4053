/**
 * The compiled executor on its own: one compilation per document and operation name (then served from the cache),
 * results equal to graphql-js, and the documented fallbacks to graphql-js (defaults of non-null variables).
 */
import { createHash } from 'node:crypto';
import { execute, getOperationAST, parse } from 'graphql';
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { createJitExecutor } from '../../src/graphql/jit-executor.js';
import { KnownOperations } from '../../src/graphql/known-operations.js';
import { HandedOverResults } from '../../src/graphql/handed-over-results.js';
import type { GatewayInterface } from '../../src/graphql/jit-executor.js';
import { buildExecutableSchema } from '../../src/graphql/schema.js';

const schema = buildExecutableSchema(
  `type Query { greet(name: String!, times: Int): String!, boom: String } type Mutation { touch: Int }`,
  {},
);
// Resolvers attached by hand: the generated Resolvers type only knows the gateway's own schema.
const fields = schema.getQueryType()?.getFields();
if (fields?.greet === undefined || fields.boom === undefined) throw new Error('schema without fields');
fields.greet.resolve = (_root: unknown, args: { name: string; times?: number | null }) =>
  `hi ${args.name}`.repeat(args.times ?? 1);
fields.boom.resolve = () => {
  throw new Error('boom');
};
let greetings = 0;
const greet = fields.greet.resolve;
fields.greet.resolve = (...args) => {
  greetings += 1;
  return greet(...args);
};
const touch = schema.getMutationType()?.getFields().touch;
if (touch === undefined) throw new Error('schema without a mutation');
touch.resolve = () => 1;

type Executor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

async function executorOf(gateway: GatewayInterface): Promise<Executor> {
  const loaded = await gateway.load({ apollo: {} });
  if (loaded.executor === null) throw new Error('no executor');
  return loaded.executor;
}

function request(
  query: string,
  variables: Record<string, unknown> = {},
  operationName?: string,
): Parameters<Executor>[0] {
  const document = parse(query);
  // As Apollo does: no operation when the name matches none.
  const operation = getOperationAST(document, operationName) ?? undefined;
  return {
    request: { query, variables, operationName },
    document,
    operation,
    queryHash: createHash('sha256').update(query).digest('hex'),
    source: query,
    operationName: operation?.name?.value ?? null,
    context: { record: {} },
  } as unknown as Parameters<Executor>[0];
}

async function reference(
  query: string,
  variables: Record<string, unknown> = {},
  operationName?: string,
): Promise<ExecutionResult> {
  return execute({ schema, document: parse(query), variableValues: variables, operationName });
}

describe('createJitExecutor', () => {
  it('announces its schema once and returns an executor', async () => {
    const gateway = createJitExecutor(schema);
    const announced: unknown[] = [];
    gateway.onSchemaLoadOrUpdate((context) => announced.push(context.apiSchema));
    expect(announced).toEqual([schema]);
    expect(typeof (await executorOf(gateway))).toBe('function');
  });

  it('compiles a document once per operation name, then reuses it', async () => {
    const gateway = createJitExecutor(schema);
    const run = await executorOf(gateway);
    const query = 'query A($n: String!) { greet(name: $n) } query B { greet(name: "b", times: 2) }';
    expect(await run(request(query, { n: 'x' }, 'A'))).toEqual(await reference(query, { n: 'x' }, 'A'));
    expect(await run(request(query, { n: 'y' }, 'A'))).toEqual(await reference(query, { n: 'y' }, 'A'));
    expect(gateway.compiledCount).toBe(1);
    expect(await run(request(query, {}, 'B'))).toEqual(await reference(query, {}, 'B'));
    expect(gateway.compiledCount).toBe(2);
    await gateway.stop();
    expect(gateway.compiledCount).toBe(0);
  });

  it('keeps at most maxCompiled documents', async () => {
    const gateway = createJitExecutor(schema, { maxCompiled: 2 });
    const run = await executorOf(gateway);
    for (const name of ['a', 'b', 'c']) await run(request(`{ greet(name: "${name}") }`));
    expect(gateway.compiledCount).toBe(2);
  });

  it('answers a left-out non-null variable with a default as graphql-js does (graphql-jit alone reports it missing)', async () => {
    const run = await executorOf(createJitExecutor(schema));
    const query = 'query D($n: String! = "dflt") { greet(name: $n) }';
    const result = await run(request(query, {}));
    expect(result).toEqual(await reference(query, {}));
    expect(result.data).toEqual({ greet: 'hi dflt' });
  });

  it('returns graphql-js errors for variables that do not coerce', async () => {
    const run = await executorOf(createJitExecutor(schema));
    const query = 'query T($t: Int) { greet(name: "x", times: $t) }';
    const result = await run(request(query, { t: 'many' }));
    expect(result).toEqual(await reference(query, { t: 'many' }));
    expect(result.errors?.[0]?.nodes?.[0]?.kind).toBe('VariableDefinition');
  });

  it('reports an operation name the document lacks as graphql-js does, the empty name included, running nothing', async () => {
    const run = await executorOf(createJitExecutor(schema, { known: new KnownOperations() }));
    const before = greetings;
    for (const [query, name] of [
      ['{ greet(name: "x") }', ''],
      ['query A { greet(name: "x") }', ''],
      ['query A { greet(name: "x") }', 'B'],
    ] as const) {
      const result = await run(request(query, {}, name));
      expect(result).toEqual(await reference(query, {}, name));
      expect(result.errors?.[0]?.message).toBe(`Unknown operation named "${name}".`);
    }
    expect(greetings).toBe(before);
  });

  it('gives resolver errors graphql-js shape: an extensions object, the path and the locations', async () => {
    const run = await executorOf(createJitExecutor(schema));
    const result = await run(request('{ boom }'));
    expect(result.data).toEqual({ boom: null });
    const [error] = result.errors ?? [];
    expect(error?.extensions).toEqual({});
    expect(error?.path).toEqual(['boom']);
    expect(error?.locations).toEqual([{ line: 1, column: 3 }]);
    expect(error?.message).toBe('boom');
  });

  describe('with the fast path (KnownOperations)', () => {
    it('publishes each compiled query operation under its exact text and requested name, with its own name', async () => {
      const known = new KnownOperations();
      const run = await executorOf(createJitExecutor(schema, { known }));
      const query = 'query A($n: String!) { greet(name: $n) } query B { greet(name: "b", times: 2) }';
      expect(known.find(query, 'A')).toBeUndefined();
      await run(request(query, { n: 'x' }, 'A'));
      const published = known.find(query, 'A');
      expect(published?.operationName).toBe('A');
      expect(await published?.compiled.query(undefined, {}, { n: 'y' })).toEqual(
        await reference(query, { n: 'y' }, 'A'),
      );
      // Another name, no name, other text: not published by that run.
      expect(known.find(query, 'B')).toBeUndefined();
      expect(known.find(query, undefined)).toBeUndefined();
      expect(known.find(`${query} `, 'A')).toBeUndefined();
      const anonymous = '{ greet(name: "z") }';
      await run(request(anonymous));
      expect(known.find(anonymous, null)?.operationName).toBeNull();
    });

    it('publishes an operation again when the registry dropped it while it stayed compiled', async () => {
      const known = new KnownOperations(1);
      const run = await executorOf(createJitExecutor(schema, { known }));
      const a = '{ greet(name: "a") }';
      const b = '{ greet(name: "b") }';
      await run(request(a));
      await run(request(b));
      expect(known.find(a, undefined)).toBeUndefined();
      await run(request(a));
      expect(known.find(a, undefined)).toBeDefined();
    });

    it('publishes no mutation, and no operation that runs on graphql-js (defaults of variables)', async () => {
      const known = new KnownOperations();
      const run = await executorOf(createJitExecutor(schema, { known }));
      await run(request('mutation M { touch }'));
      await run(request('query D($n: String! = "dflt") { greet(name: $n) }', {}));
      expect(known.size).toBe(0);
    });

    it('answers with a result handed over for the request instead of running the operation again', async () => {
      const known = new KnownOperations();
      const handedOver = new HandedOverResults();
      const run = await executorOf(createJitExecutor(schema, { known, handedOver }));
      const query = 'query G { greet(name: "once") }';
      await run(request(query));
      const handed = request(query);
      const result = { data: { greet: 'from the fast path' } };
      handedOver.handOver((handed.context as unknown as { record: object }).record, result);
      const before = greetings;
      expect(await run(handed)).toEqual(result);
      expect(greetings).toBe(before);
      // Taken once: the next request with that context runs the operation.
      expect(await run(handed)).toEqual({ data: { greet: 'hi once' } });
      expect(greetings).toBe(before + 1);
    });

    it('hands over through Apollo Server itself, which runs the executor with a copy of the context', async () => {
      const known = new KnownOperations();
      const handedOver = new HandedOverResults();
      const apollo = new ApolloServer<{ record: object }>({
        gateway: createJitExecutor(schema, { known, handedOver }) as unknown as ApolloServerOptionsWithGateway<{
          record: object;
        }>['gateway'],
      });
      await apollo.start();
      try {
        const query = 'query Through { greet(name: "apollo") }';
        const contextValue = { record: {} };
        const first = await apollo.executeOperation({ query }, { contextValue });
        expect(first.body.kind === 'single' && first.body.singleResult.data).toEqual({ greet: 'hi apollo' });
        expect(known.find(query, undefined)?.operationName).toBe('Through');
        const handed = { record: {} };
        handedOver.handOver(handed.record, { data: { greet: 'from the fast path' } });
        const before = greetings;
        const second = await apollo.executeOperation({ query }, { contextValue: handed });
        expect(second.body.kind === 'single' && second.body.singleResult.data).toEqual({ greet: 'from the fast path' });
        expect(greetings).toBe(before);
        expect(handedOver.takeOver(handed.record)).toBeUndefined();
      } finally {
        await apollo.stop();
      }
    });

    it('forgets its published operations when stopped', async () => {
      const known = new KnownOperations();
      const gateway = createJitExecutor(schema, { known });
      const run = await executorOf(gateway);
      await run(request('{ greet(name: "s") }'));
      expect(known.size).toBe(1);
      await gateway.stop?.();
      expect(known.size).toBe(0);
    });
  });
});
