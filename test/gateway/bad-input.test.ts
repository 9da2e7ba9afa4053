/**
 * Bad input over real HTTP: malformed ids and out-of-range `first` come back as GraphQL errors with
 * `extensions.code === 'BAD_USER_INPUT'` naming the argument, before any cache or model work; Apollo's own request
 * errors keep Apollo's codes and statuses; and none of it disturbs the gateway or anyone's cached list.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postGraphQL, startGateway } from '../support/gateway.js';
import type { GraphQLBody, InProcessGateway } from '../support/gateway.js';
import { Cleanups, CountingModel, PURCHASE_MUTATION, READ_QUERY, describeBody, readRecs } from './helpers.js';

type GraphQLError = NonNullable<GraphQLBody['errors']>[number];

/** The single error of a response that must carry exactly one. */
function onlyError(body: GraphQLBody): GraphQLError {
  expect(body.errors, describeBody(body)).toHaveLength(1);
  return (body.errors as GraphQLError[])[0] as GraphQLError;
}

describe('bad input', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let model: CountingModel;

  beforeAll(async () => {
    model = CountingModel.builtin('v1');
    gateway = await startGateway({}, { model });
    cleanups.add(() => gateway.close());
  });

  afterAll(async () => {
    await cleanups.run();
  });

  beforeEach(() => {
    model.reset();
  });

  const badUserIds: Array<[string, string]> = [
    ['empty', ''],
    ['129 characters', 'a'.repeat(129)],
    ['braces', '{x}'],
    ['a space', 'user 1'],
    ['a null byte', 'user\u00001'],
    ['a newline', 'user\n1'],
    ['a hash-tag forgery', 'a}:v1'],
  ];

  for (const [label, userId] of badUserIds) {
    it(`userId with ${label} → BAD_USER_INPUT naming userId, HTTP 200, no model call`, async () => {
      const { status, body } = await postGraphQL(gateway.url, READ_QUERY, { userId, first: 5 });
      expect(status).toBe(200);
      expect(body.data).toBeNull();
      const error = onlyError(body);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.argumentName).toBe('userId');
      expect(error.message).toMatch(/^userId\b/);
      expect(error.path).toEqual(['recommendations']);
      // The echoed value is bounded and escaped: no raw control characters in the message.
      // eslint-disable-next-line no-control-regex -- control characters are what this assertion looks for
      expect(error.message).not.toMatch(/[\u0000-\u001f]/);
      expect(error.message.length).toBeLessThan(300);
      expect(model.scoreCalls).toEqual([]);
    });
  }

  it('a userId of exactly 128 characters is accepted (the boundary)', async () => {
    const list = await readRecs(gateway.url, 'b'.repeat(128), 3);
    expect(list.items).toHaveLength(3);
  });

  for (const first of [0, 101, -1]) {
    it(`first: ${first} → BAD_USER_INPUT naming first, HTTP 200, no model call`, async () => {
      const { status, body } = await postGraphQL(gateway.url, READ_QUERY, { userId: 'first-check', first });
      expect(status).toBe(200);
      expect(body.data).toBeNull();
      const error = onlyError(body);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.argumentName).toBe('first');
      expect(error.message).toMatch(/^first\b/);
      expect(error.message).toContain(String(first));
      expect(model.scoreCalls).toEqual([]);
    });
  }

  it('first as an inline literal (not a variable) is checked the same way', async () => {
    const { status, body } = await postGraphQL(gateway.url, '{ recommendations(userId: "lit", first: 0) { userId } }');
    expect(status).toBe(200);
    expect(onlyError(body).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('first: 1 and first: 100 are accepted (the boundaries)', async () => {
    expect((await readRecs(gateway.url, 'bounds', 1)).items).toHaveLength(1);
    expect((await readRecs(gateway.url, 'bounds', 100)).items).toHaveLength(100);
  });

  it('first: null falls back to the default of 20', async () => {
    const { body } = await postGraphQL(gateway.url, READ_QUERY, { userId: 'null-first', first: null });
    expect(body.errors, describeBody(body)).toBeUndefined();
    expect((body.data?.recommendations as { items: unknown[] }).items).toHaveLength(20);
  });

  it("a wrong variable type → Apollo's BAD_USER_INPUT, and the request never executes", async () => {
    const { status, body } = await postGraphQL(gateway.url, READ_QUERY, { userId: 'typed', first: 'five' });
    // Apollo answers variable-coercion errors with 400 when the client accepts application/graphql-response+json.
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    const error = onlyError(body);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/\$first/);
    expect(model.scoreCalls).toEqual([]);
  });

  it("a missing required variable → Apollo's BAD_USER_INPUT", async () => {
    const { status, body } = await postGraphQL(gateway.url, READ_QUERY, { first: 5 });
    expect(status).toBe(400);
    const error = onlyError(body);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/\$userId/);
  });

  it('an unknown field → GRAPHQL_VALIDATION_FAILED (400)', async () => {
    const { status, body } = await postGraphQL(gateway.url, '{ recommendations(userId: "x") { userId noSuchField } }');
    expect(status).toBe(400);
    const error = onlyError(body);
    expect(error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(error.message).toMatch(/noSuchField/);
    expect(model.scoreCalls).toEqual([]);
  });

  it('one bad alias does not fail the good ones in the same request', async () => {
    const { status, body } = await postGraphQL(
      gateway.url,
      '{ good: recommendations(userId: "mixed-ok", first: 2) { userId items { rank } } bad: recommendations(userId: "{bad}") { userId } }',
    );
    expect(status).toBe(200);
    // `bad` is non-null in the schema, so its error nulls the whole data object; the good field still was resolved
    // without the bad id ever reaching the model.
    const error = onlyError(body);
    expect(error.path).toEqual(['bad']);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(model.scoreCalls.flat()).not.toContain('{bad}');
  });

  it('after all of the above, a valid read still works', async () => {
    const list = await readRecs(gateway.url, 'still-fine', 5);
    expect(list.source).toBe('MODEL');
    expect(list.items.map((item) => item.rank)).toEqual([1, 2, 3, 4, 5]);
    expect((await readRecs(gateway.url, 'still-fine', 5)).source).toBe('CACHE');
  });

  describe('recordPurchase with bad input', () => {
    const badInputs: Array<[string, { userId: string; itemId: string; orderId: string }, string]> = [
      ['itemId with braces', { userId: 'keeper', itemId: '{i1}', orderId: 'o1' }, 'input.itemId'],
      ['empty itemId', { userId: 'keeper', itemId: '', orderId: 'o1' }, 'input.itemId'],
      ['itemId with a space', { userId: 'keeper', itemId: 'i 1', orderId: 'o1' }, 'input.itemId'],
      ['129-character itemId', { userId: 'keeper', itemId: 'i'.repeat(129), orderId: 'o1' }, 'input.itemId'],
      ['userId with a null byte', { userId: 'keeper\u0000', itemId: 'i1', orderId: 'o1' }, 'input.userId'],
      ['orderId with a space', { userId: 'keeper', itemId: 'i1', orderId: 'o 1' }, 'input.orderId'],
    ];

    for (const [label, input, argumentName] of badInputs) {
      it(`${label} → BAD_USER_INPUT naming ${argumentName}; nothing invalidated, the cached list stays CACHE`, async () => {
        await readRecs(gateway.url, 'keeper', 10);
        const hit = await readRecs(gateway.url, 'keeper', 10);
        expect(hit.source).toBe('CACHE');
        model.reset();

        const { status, body } = await postGraphQL(gateway.url, PURCHASE_MUTATION, { input });
        expect(status).toBe(200);
        expect(body.data).toBeNull();
        const error = onlyError(body);
        expect(error.extensions?.code).toBe('BAD_USER_INPUT');
        expect(error.extensions?.argumentName).toBe(argumentName);
        expect(error.message.startsWith(argumentName)).toBe(true);
        expect(error.path).toEqual(['recordPurchase']);

        expect(model.purchases).toEqual([]);
        const after = await readRecs(gateway.url, 'keeper', 10);
        expect(after.source).toBe('CACHE');
        expect(after.generatedAt).toBe(hit.generatedAt);
        expect(after.items).toEqual(hit.items);
        expect(model.scoreCalls).toEqual([]);
      });
    }
  });
});
