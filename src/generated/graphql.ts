import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { RecommendationListView, RecommendedItemView } from '../graphql/list-views.js';
import type { CatalogItem } from '../model/catalog-item.js';
import type { PurchaseResult } from '../purchases/purchase-result.js';
import type { GatewayContext } from '../graphql/context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * An instant in UTC, written as an RFC 3339 (ISO-8601) date-time string with milliseconds, e.g.
   * 2026-11-27T08:00:00.000Z. Generated client types should map it to `string`.
   */
  DateTime: { input: Date; output: Date; }
};

/** A catalogue item. */
export type Item = {
  __typename?: 'Item';
  /** The catalogue category the item belongs to. */
  category: Scalars['String']['output'];
  /** The item's catalogue id; also its identity in client caches. */
  id: Scalars['ID']['output'];
  /** The item's display title. */
  title: Scalars['String']['output'];
};

/** Writes. Sent over POST only: a mutation over GET is refused. */
export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Operators only (scope admin): deletes every cached list of one model version, in SCAN batches with UNLINK.
   * Other versions, user state and other applications' keys are untouched.
   */
  purgeModelVersion: PurgeResult;
  /**
   * Records a purchase, clears the user's cached list for the active model version at once,
   * and excludes the bought item from every list served to that user from now on.
   */
  recordPurchase: RecordPurchasePayload;
};


/** Writes. Sent over POST only: a mutation over GET is refused. */
export type MutationPurgeModelVersionArgs = {
  modelVersion: Scalars['String']['input'];
};


/** Writes. Sent over POST only: a mutation over GET is refused. */
export type MutationRecordPurchaseArgs = {
  input: RecordPurchaseInput;
};

/** What `purgeModelVersion` did. */
export type PurgeResult = {
  __typename?: 'PurgeResult';
  /** The model version whose cached lists were deleted. */
  modelVersion: Scalars['String']['output'];
  /** Keys removed (lists and leases). */
  removed: Scalars['Int']['output'];
};

/** Reads. Every field is safe to repeat, to send over GET and to retry. */
export type Query = {
  __typename?: 'Query';
  /**
   * The ranked recommendation list for one user, computed by the active model version.
   * Served from the cache when fresh (source CACHE), computed for this request on a miss (MODEL),
   * or served past its TTL while a recompute runs in the background (STALE).
   */
  recommendations: RecommendationList;
};


/** Reads. Every field is safe to repeat, to send over GET and to retry. */
export type QueryRecommendationsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  userId: Scalars['ID']['input'];
};

/** A user's ranked recommendations, cut to the `first` items asked for, with where they came from and how fresh they are. */
export type RecommendationList = {
  __typename?: 'RecommendationList';
  /** Serve time minus generatedAt. */
  ageSeconds: Scalars['Float']['output'];
  /**
   * Freshness left at serve time, in seconds: negative once the list is past its TTL (STALE). The same figure as
   * `extensions.recsCache[].freshForSeconds`, for clients that do not read `extensions` (Apollo Client 4).
   */
  freshForSeconds: Scalars['Float']['output'];
  /**
   * When this list stops being fresh (in the past for a STALE list). Unlike `ageSeconds`, it stays true while the
   * answer sits in a client's cache: compare it with the client's clock.
   */
  freshUntil: Scalars['DateTime']['output'];
  /** When the model computed it. */
  generatedAt: Scalars['DateTime']['output'];
  /**
   * The identity of this view of the list: the same user and the same `first` give the same id, whatever the
   * list holds. Client caches key on it; treat it as opaque.
   */
  id: Scalars['ID']['output'];
  /** The ranked items, best first, never an item the user has bought; at most `first` of them. */
  items: Array<RecommendedItem>;
  /** The model version that computed this list. */
  modelVersion: Scalars['String']['output'];
  /** How this answer was produced: from the cache, by the model for this request, or stale while being recomputed. */
  source: RecommendationSource;
  /** The user whose list this is. */
  userId: Scalars['ID']['output'];
};

/** How a list was produced for this request. */
export type RecommendationSource =
  /** A fresh cache hit. */
  | 'CACHE'
  /** Computed by the model for this request. */
  | 'MODEL'
  /** Past its TTL, served while a recompute runs in the background. */
  | 'STALE';

/** One entry of a recommendation list. */
export type RecommendedItem = {
  __typename?: 'RecommendedItem';
  /** The recommended item. */
  item: Item;
  /** Position in the list, from 1, counted after bought items were left out. */
  rank: Scalars['Int']['output'];
  /** The model's score for this user and item; higher is better, lists are ordered by it. Comparable within one model version only. */
  score: Scalars['Float']['output'];
};

/** One purchase, as the checkout reports it. Recording the same orderId again changes nothing. */
export type RecordPurchaseInput = {
  /** The item bought; it is left out of this user's lists from now on. */
  itemId: Scalars['ID']['input'];
  /** The checkout's order id: the idempotency key. A retry with the same orderId is reported as a duplicate. */
  orderId: Scalars['ID']['input'];
  /** The user who bought the item. */
  userId: Scalars['ID']['input'];
};

/** The outcome of `recordPurchase`, with the user's fresh list for a client to replace the one it shows. */
export type RecordPurchasePayload = {
  __typename?: 'RecordPurchasePayload';
  /** This orderId had been recorded before; nothing was recorded twice. */
  duplicate: Scalars['Boolean']['output'];
  /** The user's cached list was cleared. */
  invalidated: Scalars['Boolean']['output'];
  /** The item bought. */
  itemId: Scalars['ID']['output'];
  /** The order id given. */
  orderId: Scalars['ID']['output'];
  /**
   * A fresh list, computed only when selected, without the bought item. Its `id` is the one
   * `Query.recommendations` gives the same user and `first`, so a normalising client cache (Apollo Client, Apollo
   * Kotlin, Apollo iOS) replaces exactly that cached view. Select it once per view the client shows (with aliases).
   */
  recommendations: RecommendationList;
  /** The user who bought the item. */
  userId: Scalars['ID']['output'];
};


/** The outcome of `recordPurchase`, with the user's fresh list for a client to replace the one it shows. */
export type RecordPurchasePayloadRecommendationsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Item: ResolverTypeWrapper<CatalogItem>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PurgeResult: ResolverTypeWrapper<PurgeResult>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RecommendationList: ResolverTypeWrapper<RecommendationListView>;
  RecommendationSource: RecommendationSource;
  RecommendedItem: ResolverTypeWrapper<RecommendedItemView>;
  RecordPurchaseInput: RecordPurchaseInput;
  RecordPurchasePayload: ResolverTypeWrapper<PurchaseResult>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Boolean: Scalars['Boolean']['output'];
  DateTime: Scalars['DateTime']['output'];
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Item: CatalogItem;
  Mutation: Record<PropertyKey, never>;
  PurgeResult: PurgeResult;
  Query: Record<PropertyKey, never>;
  RecommendationList: RecommendationListView;
  RecommendedItem: RecommendedItemView;
  RecordPurchaseInput: RecordPurchaseInput;
  RecordPurchasePayload: PurchaseResult;
  String: Scalars['String']['output'];
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type ItemResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Item'] = ResolversParentTypes['Item']> = {
  category?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  purgeModelVersion?: Resolver<ResolversTypes['PurgeResult'], ParentType, ContextType, RequireFields<MutationPurgeModelVersionArgs, 'modelVersion'>>;
  recordPurchase?: Resolver<ResolversTypes['RecordPurchasePayload'], ParentType, ContextType, RequireFields<MutationRecordPurchaseArgs, 'input'>>;
};

export type PurgeResultResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['PurgeResult'] = ResolversParentTypes['PurgeResult']> = {
  modelVersion?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  removed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  recommendations?: Resolver<ResolversTypes['RecommendationList'], ParentType, ContextType, RequireFields<QueryRecommendationsArgs, 'first' | 'userId'>>;
};

export type RecommendationListResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['RecommendationList'] = ResolversParentTypes['RecommendationList']> = {
  ageSeconds?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  freshForSeconds?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  freshUntil?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  generatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['RecommendedItem']>, ParentType, ContextType>;
  modelVersion?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  source?: Resolver<ResolversTypes['RecommendationSource'], ParentType, ContextType>;
  userId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type RecommendedItemResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['RecommendedItem'] = ResolversParentTypes['RecommendedItem']> = {
  item?: Resolver<ResolversTypes['Item'], ParentType, ContextType>;
  rank?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  score?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
};

export type RecordPurchasePayloadResolvers<ContextType = GatewayContext, ParentType extends ResolversParentTypes['RecordPurchasePayload'] = ResolversParentTypes['RecordPurchasePayload']> = {
  duplicate?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  invalidated?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  itemId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  orderId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  recommendations?: Resolver<ResolversTypes['RecommendationList'], ParentType, ContextType, RequireFields<RecordPurchasePayloadRecommendationsArgs, 'first'>>;
  userId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GatewayContext> = {
  DateTime?: GraphQLScalarType;
  Item?: ItemResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PurgeResult?: PurgeResultResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RecommendationList?: RecommendationListResolvers<ContextType>;
  RecommendedItem?: RecommendedItemResolvers<ContextType>;
  RecordPurchasePayload?: RecordPurchasePayloadResolvers<ContextType>;
};

