import { GraphQLInt, valueFromAST } from 'graphql';
import type { Resolvers } from '../generated/graphql.js';
import type { PurchaseResult } from '../purchases/purchase-result.js';
import { BadUserInputError, ConflictError, PurchaseNotAppliedError } from '../errors.js';
import type { BudgetUnit } from '../limits/client-limits.js';
import { assertCanPurge, assertCanReadList, assertCanRecordPurchase, selectedFields } from './field-permissions.js';
import { validFirst, validId } from './input-validation.js';
import { listView } from './list-views.js';
import { DateTimeScalar } from './scalars.js';

export interface ResolverOptions {
  /** The largest `first` a client may ask for: the number of items each cached list holds. */
  readonly maxFirst: number;
  /** The `first` applied when a client names none (`list-size.ts`); the served schema states the same default. */
  readonly defaultFirst: number;
}

/**
 * The purchase budget pays for purchases applied, not for attempts. A purchase the store did not take
 * (STORE_UNAVAILABLE: the gateway itself asks for the retry), an orderId already taken by another user or item
 * (refused after one store command), and a replay of an order already done (answered from one store command) give
 * their unit back: each is cheap for the gateway, and a checkout retrying through an outage must not find its budget
 * spent by the retries when the store answers again. So does a retry that applies an order this replica's outbox
 * already held (the outbox would have applied it anyway: what such orders cost is bounded by PURCHASE_OUTBOX_SIZE,
 * and one client's by its share of it).
 * Any other failure keeps the unit: it may come after the model was asked to learn the purchase, which is the work
 * the budget bounds.
 */
async function recordedOrRefunded(unit: BudgetUnit, record: () => Promise<PurchaseResult>): Promise<PurchaseResult> {
  let result: PurchaseResult;
  try {
    result = await record();
  } catch (error) {
    if (error instanceof PurchaseNotAppliedError || error instanceof ConflictError) await unit.giveBack();
    throw error;
  }
  if (result.replay === true || result.completedHeld === true) await unit.giveBack();
  return result;
}

/**
 * Resolvers stay thin: check arguments, then go through the request's loaders, which batch every user of one
 * request into one cache read and one model call (see `recs/request-loaders.ts`).
 */
export function createResolvers(options: ResolverOptions): Resolvers {
  return {
    DateTime: DateTimeScalar,
    Query: {
      async recommendations(_parent, args, context) {
        const userId = validId(args.userId, 'userId');
        const first = validFirst(args.first, options.maxFirst, options.defaultFirst);
        assertCanReadList(context.principal, userId);
        return listView(await context.loaders.recommendations.load(userId), first, context.catalog);
      },
    },
    Mutation: {
      async recordPurchase(_parent, { input }, context, info) {
        const userId = validId(input.userId, 'input.userId');
        const itemId = validId(input.itemId, 'input.itemId');
        const orderId = validId(input.orderId, 'input.orderId');
        assertCanRecordPurchase(context.principal, userId, info);
        // Checked before anything is recorded, as the list's permission is: the payload's list resolves only after the
        // purchase, and its BAD_USER_INPUT would then hide a recorded purchase behind an error that says "do not retry".
        for (const list of selectedFields(info.fieldNodes, info.fragments, 'recommendations')) {
          const first = list.arguments?.find((argument) => argument.name.value === 'first');
          validFirst(
            first === undefined
              ? undefined
              : (valueFromAST(first.value, GraphQLInt, info.variableValues) as number | null | undefined),
            options.maxFirst,
            options.defaultFirst,
          );
        }
        // After the permission check, so the catalogue is not probed by callers who may not buy.
        if (!context.items.accepts(itemId)) {
          throw new BadUserInputError(
            `input.itemId is not an item in the catalogue, but got: ${JSON.stringify(itemId)}`,
            'input.itemId',
          );
        }
        const unit = await context.limits.takePurchase(context.clientId);
        const result = await recordedOrRefunded(unit, () =>
          context.purchases.record(userId, itemId, orderId, context.clientId),
        );
        // The payload's list must be computed after the purchase, not taken from earlier in this request.
        context.loaders.recommendations.clear(userId);
        return result;
      },
      async purgeModelVersion(_parent, { modelVersion }, context) {
        assertCanPurge(context.principal);
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(modelVersion)) {
          throw new BadUserInputError(
            'modelVersion must be 1-64 characters of letters, digits, ".", "_" or "-"',
            'modelVersion',
          );
        }
        return { modelVersion, removed: await context.admin.purgeModelVersion(modelVersion) };
      },
    },
    RecordPurchasePayload: {
      async recommendations(payload, args, context) {
        // The same rule as Query.recommendations: the payload must not be a way to read another user's list.
        assertCanReadList(context.principal, payload.userId);
        // Same range and default as Query.recommendations, so the list's id names the same cached view.
        const first = validFirst(args.first, options.maxFirst, options.defaultFirst);
        return listView(await context.loaders.recommendations.load(payload.userId), first, context.catalog);
      },
    },
    RecommendationList: {
      freshUntil(list) {
        // Serve time plus the freshness left then; serve time is generatedAt plus the age.
        return new Date(list.generatedAt.getTime() + Math.round((list.ageSeconds + list.freshForSeconds) * 1000));
      },
    },
  };
}
