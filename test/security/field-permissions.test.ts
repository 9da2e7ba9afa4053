/**
 * Every field with every kind of token, over real HTTP (docs/security.md, "Field permissions"). Each field checks its
 * own permission: the list inside a purchase payload follows the rule of `Query.recommendations` (own user, or
 * `recommendations:read:any`, or admin), so `purchases:write` is no longer a way to read any user's list, not through
 * aliases, fragments or a replayed orderId. Purchases of an item the catalogue does not know are refused with the
 * built-in model and passed on with a remote one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo } from 'graphql';
import { Kind as AstKind, parse } from 'graphql';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { startModelServer } from '../support/model-server.js';
import { Cleanups, CountingModel } from '../gateway/helpers.js';
import { createResolvers } from '../../src/graphql/resolvers.js';
import { selectsField } from '../../src/graphql/field-permissions.js';
import type { GatewayContext } from '../../src/graphql/context.js';
import type { PurchaseResult } from '../../src/purchases/purchase-result.js';
import { SECRET, gql, hsToken } from './helpers.js';

const OWNER = 'perm-owner';

type Kind = 'none' | 'user' | 'otherUser' | 'purchasesWrite' | 'readAny' | 'admin' | 'expired' | 'noExp';
type Outcome = 'ok' | 'FORBIDDEN' | 'UNAUTHENTICATED';

const KINDS: readonly Kind[] = ['none', 'user', 'otherUser', 'purchasesWrite', 'readAny', 'admin', 'expired', 'noExp'];

async function tokenOf(kind: Kind): Promise<string | undefined> {
  switch (kind) {
    case 'none':
      return undefined;
    case 'user':
      return hsToken({ sub: OWNER, issuer: '', audience: '' });
    case 'otherUser':
      return hsToken({ sub: 'perm-intruder', issuer: '', audience: '' });
    case 'purchasesWrite':
      return hsToken({ sub: 'perm-checkout', scope: 'purchases:write', issuer: '', audience: '' });
    case 'readAny':
      return hsToken({ sub: 'perm-backend', scope: 'recommendations:read:any', issuer: '', audience: '' });
    case 'admin':
      return hsToken({ sub: 'perm-ops', scope: 'admin', issuer: '', audience: '' });
    case 'expired':
      return hsToken({ sub: 'perm-ops', scope: 'admin', expiresIn: -600, issuer: '', audience: '' });
    case 'noExp':
      return hsToken({ sub: 'perm-ops', scope: 'admin', noExpiry: true, issuer: '', audience: '' });
  }
}

const UNAUTH: Partial<Record<Kind, Outcome>> = {
  none: 'UNAUTHENTICATED',
  expired: 'UNAUTHENTICATED',
  noExp: 'UNAUTHENTICATED',
};

interface FieldCase {
  /** The field as docs/security.md names it. */
  readonly field: string;
  /** The operation; `$order` is replaced by an orderId unique to the run. */
  readonly query: string;
  readonly expected: Record<Kind, Outcome>;
  /** Whether an allowed call records a purchase (checked against the model, and none for a refusal). */
  readonly purchases?: boolean;
}

const LIST = `userId modelVersion generatedAt ageSeconds source items { rank score item { id title category } }`;
const PAYLOAD = 'userId itemId orderId invalidated duplicate';
const userOnly = (allowed: readonly Kind[]): Record<Kind, Outcome> =>
  Object.fromEntries(
    KINDS.map((kind) => [kind, UNAUTH[kind] ?? (allowed.includes(kind) ? 'ok' : 'FORBIDDEN')]),
  ) as Record<Kind, Outcome>;

const FIELDS: readonly FieldCase[] = [
  {
    field: 'Query.__typename',
    query: '{ __typename }',
    expected: userOnly(['user', 'otherUser', 'purchasesWrite', 'readAny', 'admin']),
  },
  {
    field: 'Query.recommendations (and RecommendationList, RecommendedItem, Item)',
    query: `{ recommendations(userId: "${OWNER}", first: 2) { ${LIST} } }`,
    expected: userOnly(['user', 'readAny', 'admin']),
  },
  {
    field: 'Query.recommendations, aliased next to __typename aliases',
    query: `{ t: __typename a: recommendations(userId: "${OWNER}", first: 1) { userId } }`,
    expected: userOnly(['user', 'readAny', 'admin']),
  },
  {
    field: 'Mutation.recordPurchase (RecordPurchasePayload scalars)',
    query: `mutation { recordPurchase(input: {userId: "${OWNER}", itemId: "i1", orderId: "$order"}) { ${PAYLOAD} } }`,
    expected: userOnly(['purchasesWrite', 'admin']),
    purchases: true,
  },
  {
    field: 'RecordPurchasePayload.recommendations',
    query: `mutation { recordPurchase(input: {userId: "${OWNER}", itemId: "i2", orderId: "$order"}) { ${PAYLOAD} recommendations { ${LIST} } } }`,
    expected: userOnly(['admin']),
    purchases: true,
  },
  {
    field: 'RecordPurchasePayload.recommendations, aliased inside a named fragment',
    query: `mutation { recordPurchase(input: {userId: "${OWNER}", itemId: "i3", orderId: "$order"}) { ...P } } fragment P on RecordPurchasePayload { ... on RecordPurchasePayload { peek: recommendations { items { item { id title } } } } }`,
    expected: userOnly(['admin']),
    purchases: true,
  },
  {
    field: 'Mutation.purgeModelVersion (PurgeResult)',
    query: 'mutation { purgeModelVersion(modelVersion: "v0") { modelVersion removed } }',
    expected: userOnly(['admin']),
  },
];

describe('field permissions: every field × every kind of token', () => {
  const cleanups = new Cleanups();
  let gateway: InProcessGateway;
  let model: CountingModel;
  const tokens = new Map<Kind, string | undefined>();
  let run = 0;

  beforeAll(async () => {
    model = CountingModel.builtin('v1');
    gateway = await startGateway({ AUTH_JWT_SECRET: SECRET }, { model });
    cleanups.add(() => gateway.close());
    for (const kind of KINDS) tokens.set(kind, await tokenOf(kind));
  });

  afterAll(async () => {
    await cleanups.run();
  });

  for (const entry of FIELDS) {
    for (const kind of KINDS) {
      const expected = entry.expected[kind];
      it(`${entry.field} with ${kind} token → ${expected}`, async () => {
        model.reset();
        // Twice: the second time a query may be answered by the fast path, which must agree.
        for (let attempt = 0; attempt < 2; attempt++) {
          const query = entry.query.replace('$order', `perm-order-${run++}`);
          const response = await gql(gateway.url, query, undefined, { token: tokens.get(kind) });
          if (expected === 'ok') {
            expect(response.errors, response.text.slice(0, 300)).toEqual([]);
            expect(response.status).toBe(200);
          } else {
            expect(response.code, response.text.slice(0, 300)).toBe(expected);
            expect(response.status).toBe(expected === 'UNAUTHENTICATED' ? 401 : 200);
            expect(response.data ?? null).toBeNull();
            expect(response.text).not.toMatch(/"items"|"title"/);
          }
        }
        // A refused purchase records nothing, the list's check included: it runs before the purchase is stored.
        expect(model.purchases.length).toBe(entry.purchases === true && expected === 'ok' ? 2 : 0);
      });
    }
  }

  it("replaying a recorded orderId (duplicate: true) does not turn purchases:write into a read of the user's list", async () => {
    const checkout = tokens.get('purchasesWrite');
    const first = await gql(
      gateway.url,
      `mutation { recordPurchase(input: {userId: "victim7", itemId: "i5", orderId: "probe-1"}) { duplicate } }`,
      undefined,
      { token: checkout },
    );
    expect(first.data).toEqual({ recordPurchase: { duplicate: false } });
    const replay = await gql(
      gateway.url,
      `mutation { recordPurchase(input: {userId: "victim7", itemId: "i5", orderId: "probe-1"}) { duplicate recommendations { items { item { id title } } } } }`,
      undefined,
      { token: checkout },
    );
    expect(replay.code).toBe('FORBIDDEN');
    expect(replay.data).toBeNull();
    expect(replay.text).not.toContain('"items"');
    // The same replay by a token that may read the list is a duplicate with the list.
    const admin = await gql(
      gateway.url,
      `mutation { recordPurchase(input: {userId: "victim7", itemId: "i5", orderId: "probe-1"}) { duplicate recommendations { userId } } }`,
      undefined,
      { token: tokens.get('admin') },
    );
    expect(admin.data).toEqual({ recordPurchase: { duplicate: true, recommendations: { userId: 'victim7' } } });
  });

  it('a token with both purchases:write and recommendations:read:any may buy and read the list in one call', async () => {
    const token = await hsToken({
      sub: 'perm-both',
      scope: 'purchases:write recommendations:read:any',
      issuer: '',
      audience: '',
    });
    const response = await gql(
      gateway.url,
      `mutation { recordPurchase(input: {userId: "perm-both-user", itemId: "i6", orderId: "both-1"}) { duplicate recommendations { userId } } }`,
      undefined,
      { token },
    );
    expect(response.data).toEqual({
      recordPurchase: { duplicate: false, recommendations: { userId: 'perm-both-user' } },
    });
  });

  it("the payload's list checks its own permission too (resolver called without the mutation's up-front check)", async () => {
    const resolvers = createResolvers({ maxFirst: 100, defaultFirst: 20 });
    const resolve = (
      resolvers.RecordPurchasePayload as {
        recommendations: (parent: PurchaseResult, args: object, context: GatewayContext) => Promise<unknown>;
      }
    ).recommendations;
    const payload: PurchaseResult = {
      userId: 'victim7',
      itemId: 'i5',
      orderId: 'o',
      invalidated: true,
      duplicate: true,
    };
    const principal = { subject: 'perm-checkout', scopes: new Set(['purchases:write']), anonymous: false };
    const loads: string[] = [];
    const context = {
      principal,
      loaders: { recommendations: { load: async (userId: string) => loads.push(userId) } },
    } as unknown as GatewayContext;
    await expect(resolve(payload, {}, context)).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(loads).toEqual([]);
  });
});

describe('selectsField (what the up-front check sees)', () => {
  const selectionOf = (
    source: string,
  ): { fieldNodes: FieldNode[]; fragments: Record<string, FragmentDefinitionNode> } => {
    const document = parse(source);
    const fragments: Record<string, FragmentDefinitionNode> = {};
    let field: FieldNode | undefined;
    for (const definition of document.definitions) {
      if (definition.kind === AstKind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
      if (definition.kind === AstKind.OPERATION_DEFINITION) field = definition.selectionSet.selections[0] as FieldNode;
    }
    return { fieldNodes: field === undefined ? [] : [field], fragments };
  };
  const cases: Array<[string, boolean]> = [
    ['mutation { r: recordPurchase(input: $i) { userId } }', false],
    ['mutation { recordPurchase(input: $i) { recommendations { userId } } }', true],
    ['mutation { recordPurchase(input: $i) { x: recommendations { userId } } }', true],
    ['mutation { recordPurchase(input: $i) { ... on RecordPurchasePayload { recommendations { userId } } } }', true],
    [
      'mutation { recordPurchase(input: $i) { ...A } } fragment A on RecordPurchasePayload { ...B } fragment B on RecordPurchasePayload { recommendations { userId } }',
      true,
    ],
    ['mutation { recordPurchase(input: $i) { ...A } } fragment A on RecordPurchasePayload { ...A userId }', false],
    ['mutation { recordPurchase(input: $i) { recommendations @skip(if: true) { userId } } }', true],
    ['mutation { recordPurchase(input: $i) { userId recommendationsCount: duplicate } }', false],
  ];
  for (const [source, expected] of cases) {
    it(`${source} → ${expected}`, () => {
      const { fieldNodes, fragments } = selectionOf(source);
      expect(selectsField(fieldNodes, fragments, 'recommendations')).toBe(expected);
    });
  }
  it('accepts what graphql-js and graphql-jit pass as resolve info', () => {
    const info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'> = selectionOf(
      'mutation { recordPurchase(input: $i) { userId } }',
    );
    expect(selectsField(info.fieldNodes, info.fragments, 'recommendations')).toBe(false);
  });
});

describe('purchases of unknown items', () => {
  const cleanups = new Cleanups();

  afterAll(async () => {
    await cleanups.run();
  });

  const buy = (itemId: string, orderId: string): string =>
    `mutation { recordPurchase(input: {userId: "item-buyer", itemId: ${JSON.stringify(itemId)}, orderId: ${JSON.stringify(orderId)}}) { itemId duplicate } }`;

  it('built-in model (the catalogue is known): an unknown id → BAD_USER_INPUT naming input.itemId, nothing recorded', async () => {
    const model = CountingModel.builtin('v1');
    const gateway = await startGateway({ AUTH_JWT_SECRET: SECRET }, { model });
    cleanups.add(() => gateway.close());
    const token = await tokenOf('purchasesWrite');
    for (const [index, itemId] of ['x', 'i10000', 'i-1', 'i01', 'I1', 'sku-1'].entries()) {
      const refused = await gql(gateway.url, buy(itemId, `unknown-${index}`), undefined, { token });
      expect(refused.code, itemId).toBe('BAD_USER_INPUT');
      expect(refused.errors[0]?.extensions?.argumentName).toBe('input.itemId');
      expect(refused.errors[0]?.message).toContain('not an item in the catalogue');
      expect(refused.data).toBeNull();
    }
    expect(model.purchases).toEqual([]);
    // The order was not claimed either: the same orderId with a real item is a first purchase.
    const accepted = await gql(gateway.url, buy('i9999', 'unknown-0'), undefined, { token });
    expect(accepted.data).toEqual({ recordPurchase: { itemId: 'i9999', duplicate: false } });
    // A caller who may not buy learns nothing about the catalogue: FORBIDDEN whether or not the item exists.
    const user = await tokenOf('user');
    expect((await gql(gateway.url, buy('x', 'probe-x'), undefined, { token: user })).code).toBe('FORBIDDEN');
    expect((await gql(gateway.url, buy('i1', 'probe-i1'), undefined, { token: user })).code).toBe('FORBIDDEN');
  });

  it('remote model (MODEL_URL): the ranking service owns the catalogue, so a well-formed unknown id is passed on', async () => {
    const server = await startModelServer({ version: 'v1' });
    cleanups.add(() => server.close());
    const gateway = await startGateway({ AUTH_JWT_SECRET: SECRET, MODEL_URL: server.url });
    cleanups.add(() => gateway.close());
    const token = await tokenOf('purchasesWrite');
    const accepted = await gql(gateway.url, buy('new-sku-123', 'remote-1'), undefined, { token });
    expect(accepted.errors, accepted.text).toEqual([]);
    expect(accepted.data).toEqual({ recordPurchase: { itemId: 'new-sku-123', duplicate: false } });
    // Malformed ids are still refused before anything else.
    expect((await gql(gateway.url, buy('{x}', 'remote-2'), undefined, { token })).code).toBe('BAD_USER_INPUT');
  });
});
