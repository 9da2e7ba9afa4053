import type { Resolvers } from '../generated/graphql.js';
import { validFirst, validId } from './input-validation.js';
import { DateTimeScalar } from './scalars.js';

export interface ResolverOptions {
  /** The largest `first` a client may ask for: the number of items each cached list holds. */
  readonly maxFirst: number;
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
        const first = validFirst(args.first, options.maxFirst, 20);
        const list = await context.loaders.recommendations.load(userId);
        return list.items.length > first ? { ...list, items: list.items.slice(0, first) } : list;
      },
    },
    Mutation: {
      async recordPurchase(_parent, { input }, context) {
        const userId = validId(input.userId, 'input.userId');
        const itemId = validId(input.itemId, 'input.itemId');
        const orderId = validId(input.orderId, 'input.orderId');
        const invalidated = await context.recommendations.recordPurchase(userId, itemId);
        // The payload's list must be computed after the purchase, not taken from earlier in this request.
        context.loaders.recommendations.clear(userId);
        return { userId, itemId, orderId, invalidated };
      },
    },
    RecordPurchasePayload: {
      async recommendations(payload, _args, context) {
        return context.loaders.recommendations.load(payload.userId);
      },
    },
    RecommendedItem: {
      async item(parent, _args, context) {
        const item = await context.loaders.items.load(parent.itemId);
        // A ranked id the catalogue does not know is a model/catalogue mismatch: a field error, not a crash.
        if (item === null) throw new Error(`item ${parent.itemId} is not in the catalogue`);
        return item;
      },
    },
  };
}
