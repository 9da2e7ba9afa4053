import type { Resolvers } from '../generated/graphql.js';
import { canReadRecommendations, canRecordPurchase, isAdmin } from '../auth/principal.js';
import { BadUserInputError, ForbiddenError } from '../errors.js';
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
        if (!canReadRecommendations(context.principal, userId)) throw new ForbiddenError('read recommendations for this user');
        return listView(await context.loaders.recommendations.load(userId), first, context.catalog);
      },
    },
    Mutation: {
      async recordPurchase(_parent, { input }, context) {
        const userId = validId(input.userId, 'input.userId');
        const itemId = validId(input.itemId, 'input.itemId');
        const orderId = validId(input.orderId, 'input.orderId');
        if (!canRecordPurchase(context.principal)) throw new ForbiddenError('record purchases');
        await context.limits.takePurchase(context.clientId);
        const result = await context.purchases.record(userId, itemId, orderId);
        // The payload's list must be computed after the purchase, not taken from earlier in this request.
        context.loaders.recommendations.clear(userId);
        return result;
      },
      async purgeModelVersion(_parent, { modelVersion }, context) {
        if (!isAdmin(context.principal)) throw new ForbiddenError('purge model versions');
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(modelVersion)) {
          throw new BadUserInputError('modelVersion must be 1-64 characters of letters, digits, ".", "_" or "-"', 'modelVersion');
        }
        return { modelVersion, removed: await context.admin.purgeModelVersion(modelVersion) };
      },
    },
    RecordPurchasePayload: {
      async recommendations(payload, args, context) {
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
