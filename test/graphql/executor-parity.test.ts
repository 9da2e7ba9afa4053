/**
 * Executor parity: the same operations, in the same order, against two gateways that differ only in
 * GRAPHQL_EXECUTOR (`jit`: compiled operations, and the fast path that answers known documents without Apollo's
 * pipeline; `reference`: graphql-js through Apollo, nothing else), each with its own memory store and its own
 * (deterministic) model. Every response must match: status, body and the headers clients read, after normalising
 * what depends on the clock (ages, generation times, freshness left) and stack traces (whose frames name the
 * executor).
 *
 * The whole sequence runs twice. In the first pass every document is new to the jit gateway, so Apollo runs it with
 * the compiled executor; in the second, every query document that compiled is known, so the fast path answers it,
 * or runs it and hands its result to Apollo when it has errors. The fast path's own counters prove both happened.
 *
 * Run twice over: a development gateway (introspection on, stack traces in errors) and a production one
 * (introspection off, internal error messages masked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastPathOutcomes, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';
import { normaliseValue } from '../support/normalise.js';
import { PartlyBrokenModel } from '../support/models.js';
import { bearerToken } from '../security/helpers.js';

const SECRET = 'executor-parity-secret-of-at-least-32-bytes';
const LIST = 'userId modelVersion generatedAt ageSeconds source items { rank score item { id title category } }';

interface Operation {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
  /** Which token the request carries: a service reader (default), a user, a purchaser, an admin, or none. */
  readonly as?: 'reader' | 'user-u1' | 'purchaser' | 'admin' | 'nobody';
}

/** In order: later operations read what earlier ones cached (hits) or changed (purchases). */
const OPERATIONS: readonly Operation[] = [
  {
    name: 'miss',
    query: `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { ${LIST} } }`,
    variables: { userId: 'p1', first: 5 },
  },
  {
    name: 'hit',
    query: `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { ${LIST} } }`,
    variables: { userId: 'p1', first: 5 },
  },
  {
    name: 'hit, default first (20)',
    query: `query Read($userId: ID!) { recommendations(userId: $userId) { ${LIST} } }`,
    variables: { userId: 'p1' },
  },
  {
    name: 'literal arguments, no variables',
    query: `{ recommendations(userId: "p2", first: 3) { userId source items { rank item { id } } } }`,
  },
  {
    name: 'aliases: several users in one request, one batch',
    query: `query Many { a: recommendations(userId: "p1", first: 2) { userId source items { rank score } } b: recommendations(userId: "p3", first: 2) { who: userId items { position: rank item { name: title } } } c: recommendations(userId: "p1", first: 1) { userId } }`,
  },
  {
    name: 'named fragments and inline fragments',
    query: `query Frag($u: ID!) { recommendations(userId: $u, first: 4) { ...Head items { ...Ranked ... on RecommendedItem { item { ... on Item { category } } } } } }
      fragment Head on RecommendationList { userId modelVersion source __typename }
      fragment Ranked on RecommendedItem { rank score item { id __typename } }`,
    variables: { u: 'p4' },
  },
  {
    name: '@skip and @include with variables',
    query: `query Dir($u: ID!, $withItems: Boolean!, $hideVersion: Boolean = true) { recommendations(userId: $u, first: 2) { userId modelVersion @skip(if: $hideVersion) items @include(if: $withItems) { rank } } }`,
    variables: { u: 'p4', withItems: true },
  },
  { name: '__typename at the root', query: '{ __typename }' },
  {
    name: 'identity and freshness fields',
    query: `{ recommendations(userId: "p2", first: 3) { id userId freshForSeconds freshUntil generatedAt } d: recommendations(userId: "p2") { id } }`,
  },
  {
    name: 'the example operations (client guide)',
    query: `query Recommendations($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { ...RecommendationListFields } }
      fragment RecommendationListFields on RecommendationList { id userId modelVersion generatedAt freshUntil source items { rank score item { id title category } } }`,
    variables: { userId: 'p3', first: 5 },
  },
  // graphql-jit 0.8 ignores defaults of non-null variables; such operations must still answer as graphql-js does.
  {
    name: 'a non-null variable with a default, left out',
    query: `query Dflt($userId: ID! = "p2", $first: Int = 2) { recommendations(userId: $userId, first: $first) { userId items { rank } } }`,
    variables: {},
  },
  {
    name: 'a non-null variable with a default, given',
    query: `query Dflt($userId: ID! = "p2", $first: Int = 2) { recommendations(userId: $userId, first: $first) { userId items { rank } } }`,
    variables: { userId: 'p1' },
  },
  {
    name: 'operationName picks one of several operations',
    query: `query A { recommendations(userId: "p1", first: 1) { userId } } query B { recommendations(userId: "p2", first: 1) { source } }`,
    operationName: 'B',
  },
  {
    name: 'unknown operationName',
    query: `query A { recommendations(userId: "p1", first: 1) { userId } }`,
    operationName: 'Nope',
  },
  // graphql-jit reads "" as no name and would run the only operation; Apollo and graphql-js call it unknown.
  {
    name: 'empty operationName',
    query: `query A { recommendations(userId: "p1", first: 1) { userId } }`,
    operationName: '',
  },
  {
    name: 'empty operationName, anonymous operation',
    query: `{ recommendations(userId: "p1", first: 1) { userId } }`,
    operationName: '',
  },
  { name: 'several operations, no operationName', query: `query A { __typename } query B { __typename }` },
  // Bad input in arguments (resolver-level BAD_USER_INPUT) and in variables (coercion, HTTP 400).
  {
    name: 'bad userId',
    query: `query Read($userId: ID!) { recommendations(userId: $userId) { userId } }`,
    variables: { userId: 'a b' },
  },
  {
    name: 'first out of range',
    query: `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { userId } }`,
    variables: { userId: 'p1', first: 1000 },
  },
  {
    name: 'variable of the wrong type',
    query: `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { userId } }`,
    variables: { userId: 'p1', first: 'many' },
  },
  {
    name: 'required variable missing',
    query: `query Read($userId: ID!) { recommendations(userId: $userId) { userId } }`,
    variables: {},
  },
  {
    name: 'required variable null',
    query: `query Read($userId: ID!) { recommendations(userId: $userId) { userId } }`,
    variables: { userId: null },
  },
  {
    name: 'float for an Int variable',
    query: `query Read($userId: ID!, $first: Int) { recommendations(userId: $userId, first: $first) { userId } }`,
    variables: { userId: 'p1', first: 2.5 },
  },
  {
    name: 'input object variable with a missing field',
    query: `mutation Buy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { userId } }`,
    variables: { input: { userId: 'p1', itemId: 'i1' } },
    as: 'purchaser',
  },
  // Errors from resolvers and the model, and how nulls propagate.
  {
    name: 'forbidden: a user token reading another user',
    query: `{ recommendations(userId: "p1") { userId } }`,
    as: 'user-u1',
  },
  {
    name: 'a user token reading its own list',
    query: `{ recommendations(userId: "u1", first: 2) { userId source items { rank } } }`,
    as: 'user-u1',
  },
  { name: 'unauthenticated', query: `{ recommendations(userId: "p1") { userId } }`, as: 'nobody' },
  { name: 'model down: MODEL_UNAVAILABLE, data null', query: `{ recommendations(userId: "down-1") { userId } }` },
  {
    name: 'one failing alias nulls the whole data (non-null root field)',
    query: `{ ok: recommendations(userId: "p1", first: 1) { userId } bad: recommendations(userId: "down-2") { userId } }`,
  },
  {
    name: 'unknown catalogue item: field error propagates nulls',
    query: `{ recommendations(userId: "ghost-1", first: 3) { userId items { rank item { id title } } } }`,
  },
  {
    name: 'unknown catalogue item, the item not selected',
    query: `{ recommendations(userId: "ghost-1", first: 3) { userId items { rank score } } }`,
  },
  // Validation and parsing stay Apollo's in both modes; included to pin that down.
  { name: 'unknown field', query: `{ recommendations(userId: "p1") { nope } }` },
  { name: 'syntax error', query: `{ recommendations(userId: "p1") { userId }` },
  {
    name: 'deep introspection (graphql-armor counts no introspection fields; the introspection switch decides)',
    query: `{ a: __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }`,
  },
  // Introspection (a validation error where it is off).
  {
    name: 'introspection: __type',
    query: `{ __type(name: "RecommendationList") { name kind fields { name type { kind name ofType { name } } } } }`,
  },
  {
    name: 'introspection: __schema',
    query: `{ __schema { queryType { name } mutationType { name } types { name kind } } }`,
  },
  // Mutations, and reads after them.
  {
    name: 'purchase with the new list',
    query: `mutation Buy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { userId itemId orderId invalidated duplicate recommendations { userId source items { rank item { id } } } } }`,
    variables: { input: { userId: 'p1', itemId: 'i1', orderId: 'order-1' } },
    as: 'purchaser',
  },
  {
    name: 'purchase with the list per view (first on the payload)',
    query: `mutation Buy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { recommendations { id items { rank } } top2: recommendations(first: 2) { id items { item { id } } } } }`,
    variables: { input: { userId: 'p3', itemId: 'i2', orderId: 'order-views' } },
    as: 'purchaser',
  },
  {
    name: 'the same purchase again (duplicate)',
    query: `mutation Buy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { userId itemId orderId invalidated duplicate } }`,
    variables: { input: { userId: 'p1', itemId: 'i1', orderId: 'order-1' } },
    as: 'purchaser',
  },
  {
    name: 'the same orderId for another item (CONFLICT)',
    query: `mutation Buy($input: RecordPurchaseInput!) { recordPurchase(input: $input) { userId } }`,
    variables: { input: { userId: 'p1', itemId: 'i2', orderId: 'order-1' } },
    as: 'purchaser',
  },
  {
    name: 'purchase without the scope (FORBIDDEN)',
    query: `mutation { recordPurchase(input: { userId: "p1", itemId: "i3", orderId: "o-2" }) { userId } }`,
  },
  {
    name: 'read after the purchase',
    query: `{ recommendations(userId: "p1", first: 5) { userId source items { rank item { id } } } }`,
  },
  {
    name: 'purge: bad version',
    query: `mutation { purgeModelVersion(modelVersion: "no spaces") { removed } }`,
    as: 'admin',
  },
  {
    name: 'purge v0 (nothing there)',
    query: `mutation { purgeModelVersion(modelVersion: "v0") { modelVersion removed } }`,
    as: 'admin',
  },
];

type Normalised = { status: number; headers: Record<string, string | null>; body: unknown };

const PASSES = ['first pass', 'second pass'] as const;

const HEADERS = ['content-type', 'cache-control', 'cache-status', 'age'] as const;

async function run(
  gateway: InProcessGateway,
  operation: Operation,
  tokens: Record<string, string>,
): Promise<Normalised> {
  const who = operation.as ?? 'reader';
  const headers: Record<string, string> = who === 'nobody' ? {} : { authorization: tokens[who] as string };
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...headers,
    },
    body: JSON.stringify({
      query: operation.query,
      variables: operation.variables,
      operationName: operation.operationName,
    }),
  });
  const text = await response.text();
  const picked: Record<string, string | null> = {};
  for (const name of HEADERS) picked[name] = response.headers.get(name);
  if (picked['cache-status'] !== null)
    picked['cache-status'] = (picked['cache-status'] as string).replace(/ttl=-?\d+/, 'ttl=<n>');
  if (picked.age !== null) picked.age = '<n>';
  return { status: response.status, headers: picked, body: normaliseValue(JSON.parse(text) as unknown) };
}

for (const mode of ['development', 'production'] as const) {
  describe(`executor parity (${mode}): jit and graphql-js answer alike`, () => {
    let jit: InProcessGateway;
    let reference: InProcessGateway;
    const tokens: Record<string, string> = {};
    const responses = new Map<string, { jit: Normalised; reference: Normalised }>();
    /** What the fast path did with each operation of the second pass. */
    const secondPassOutcomes = new Map<string, string>();

    beforeAll(async () => {
      const env = {
        AUTH_JWT_SECRET: SECRET,
        NODE_ENV: mode,
        GRAPHQL_INTROSPECTION: mode === 'development' ? 'true' : 'false',
        MODEL_WORKERS: '0',
      };
      [jit, reference] = await Promise.all([
        startGateway({ ...env, GRAPHQL_EXECUTOR: 'jit' }, { model: new PartlyBrokenModel() }),
        startGateway({ ...env, GRAPHQL_EXECUTOR: 'reference' }, { model: new PartlyBrokenModel() }),
      ]);
      tokens.reader = await bearerToken(SECRET, 'parity-reader', 'recommendations:read:any');
      tokens['user-u1'] = await bearerToken(SECRET, 'u1');
      tokens.purchaser = await bearerToken(SECRET, 'checkout', 'purchases:write recommendations:read:any');
      tokens.admin = await bearerToken(SECRET, 'operator', 'admin');
      // One operation at a time, alternating, so both stores see the same history; then the same again.
      for (const pass of PASSES) {
        for (const operation of OPERATIONS) {
          const before = await fastPathOutcomes(jit);
          const fromJit = await run(jit, operation, tokens);
          const fromReference = await run(reference, operation, tokens);
          responses.set(`${pass}: ${operation.name}`, { jit: fromJit, reference: fromReference });
          const after = await fastPathOutcomes(jit);
          const outcome =
            (Object.keys(after) as Array<keyof typeof after>).find((key) => after[key] !== before[key]) ?? 'not seen';
          if (pass === 'second pass') secondPassOutcomes.set(operation.name, outcome);
        }
      }
    });

    afterAll(async () => {
      await Promise.all([jit?.close(), reference?.close()]);
    });

    for (const pass of PASSES) {
      for (const operation of OPERATIONS) {
        it(`${pass}: ${operation.name}`, () => {
          const pair = responses.get(`${pass}: ${operation.name}`);
          expect(pair).toBeDefined();
          expect(pair?.jit).toEqual(pair?.reference);
        });
      }
    }

    it('the second pass went through the fast path: answered alone without errors, handed over with them', () => {
      const outcomes = Object.fromEntries(secondPassOutcomes);
      // Known query documents without errors: answered without Apollo.
      for (const name of [
        'hit',
        'literal arguments, no variables',
        'aliases: several users in one request, one batch',
        'named fragments and inline fragments',
        'operationName picks one of several operations',
        'a user token reading its own list',
        'read after the purchase',
      ]) {
        expect(outcomes[name], name).toBe('served');
      }
      // Known query documents whose run had errors (resolver errors, variables that do not coerce): Apollo answered.
      for (const name of [
        'bad userId',
        'first out of range',
        'variable of the wrong type',
        'required variable missing',
        'forbidden: a user token reading another user',
        'model down: MODEL_UNAVAILABLE, data null',
        'one failing alias nulls the whole data (non-null root field)',
        'unknown catalogue item: field error propagates nulls',
      ]) {
        expect(outcomes[name], name).toBe('handed_over');
      }
      // Never the fast path's: refused contexts, documents Apollo rejects or runs on graphql-js, mutations.
      for (const name of [
        'unauthenticated',
        'unknown operationName',
        'syntax error',
        'unknown field',
        'a non-null variable with a default, given',
        'purchase with the new list',
        'purge v0 (nothing there)',
      ]) {
        expect(outcomes[name], name).toBe('passed');
      }
    });

    it('the suite covers what it claims: hits, misses, nulls, coded errors, 400s, introspection', () => {
      const body = (name: string): GraphQLBody => responses.get(`first pass: ${name}`)?.reference.body as GraphQLBody;
      const codes = new Set(
        [...responses.values()].flatMap((pair) =>
          ((pair.reference.body as GraphQLBody).errors ?? []).map((error) => error.extensions?.code),
        ),
      );
      expect((body('miss').data?.recommendations as { source: string }).source).toBe('MODEL');
      expect((body('hit').data?.recommendations as { source: string }).source).toBe('CACHE');
      expect(body('one failing alias nulls the whole data (non-null root field)').data).toBeNull();
      expect(responses.get('first pass: variable of the wrong type')?.reference.status).toBe(400);
      for (const code of [
        'BAD_USER_INPUT',
        'FORBIDDEN',
        'UNAUTHENTICATED',
        'MODEL_UNAVAILABLE',
        'CONFLICT',
        'GRAPHQL_VALIDATION_FAILED',
        'GRAPHQL_PARSE_FAILED',
      ]) {
        expect(codes, code).toContain(code);
      }
      const introspected = body('introspection: __type');
      if (mode === 'development')
        expect((introspected.data?.__type as { name: string }).name).toBe('RecommendationList');
      else expect(introspected.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('every response of the GraphQL pipeline carries Cache-Control: no-store (as Apollo’s disabled cache-control plugin did)', () => {
      // A request refused while building its context (no token) never reaches Apollo's plugins, in either mode.
      for (const [name, pair] of responses) {
        expect(pair.jit.headers['cache-control'], name).toBe(name.endsWith(': unauthenticated') ? null : 'no-store');
      }
    });
  });
}
