/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment RecommendationListFields on RecommendationList {\n  id\n  userId\n  modelVersion\n  generatedAt\n  freshUntil\n  source\n  items {\n    rank\n    score\n    item {\n      id\n      title\n      category\n    }\n  }\n}\n\nquery Recommendations($userId: ID!, $first: Int) {\n  recommendations(userId: $userId, first: $first) {\n    ...RecommendationListFields\n  }\n}\n\nmutation RecordPurchase($input: RecordPurchaseInput!) {\n  recordPurchase(input: $input) {\n    userId\n    itemId\n    orderId\n    invalidated\n    duplicate\n    recommendations {\n      ...RecommendationListFields\n    }\n    top5: recommendations(first: 5) {\n      ...RecommendationListFields\n    }\n  }\n}": typeof types.RecommendationListFieldsFragmentDoc,
};
const documents: Documents = {
    "fragment RecommendationListFields on RecommendationList {\n  id\n  userId\n  modelVersion\n  generatedAt\n  freshUntil\n  source\n  items {\n    rank\n    score\n    item {\n      id\n      title\n      category\n    }\n  }\n}\n\nquery Recommendations($userId: ID!, $first: Int) {\n  recommendations(userId: $userId, first: $first) {\n    ...RecommendationListFields\n  }\n}\n\nmutation RecordPurchase($input: RecordPurchaseInput!) {\n  recordPurchase(input: $input) {\n    userId\n    itemId\n    orderId\n    invalidated\n    duplicate\n    recommendations {\n      ...RecommendationListFields\n    }\n    top5: recommendations(first: 5) {\n      ...RecommendationListFields\n    }\n  }\n}": types.RecommendationListFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment RecommendationListFields on RecommendationList {\n  id\n  userId\n  modelVersion\n  generatedAt\n  freshUntil\n  source\n  items {\n    rank\n    score\n    item {\n      id\n      title\n      category\n    }\n  }\n}\n\nquery Recommendations($userId: ID!, $first: Int) {\n  recommendations(userId: $userId, first: $first) {\n    ...RecommendationListFields\n  }\n}\n\nmutation RecordPurchase($input: RecordPurchaseInput!) {\n  recordPurchase(input: $input) {\n    userId\n    itemId\n    orderId\n    invalidated\n    duplicate\n    recommendations {\n      ...RecommendationListFields\n    }\n    top5: recommendations(first: 5) {\n      ...RecommendationListFields\n    }\n  }\n}"): (typeof documents)["fragment RecommendationListFields on RecommendationList {\n  id\n  userId\n  modelVersion\n  generatedAt\n  freshUntil\n  source\n  items {\n    rank\n    score\n    item {\n      id\n      title\n      category\n    }\n  }\n}\n\nquery Recommendations($userId: ID!, $first: Int) {\n  recommendations(userId: $userId, first: $first) {\n    ...RecommendationListFields\n  }\n}\n\nmutation RecordPurchase($input: RecordPurchaseInput!) {\n  recordPurchase(input: $input) {\n    userId\n    itemId\n    orderId\n    invalidated\n    duplicate\n    recommendations {\n      ...RecommendationListFields\n    }\n    top5: recommendations(first: 5) {\n      ...RecommendationListFields\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;