/**
 * The GraphQL operations every scenario sends, baseline and gateway alike, and the request bodies built from them.
 * The query text is constant per operation (only variables change), as with a real client, so Apollo parses and
 * validates it once and serves it from its document cache afterwards.
 */

const LIST_FIELDS = `userId
    modelVersion
    generatedAt
    ageSeconds
    source
    items { rank score item { id title category } }`;

export const LIST_LENGTH = 20;
export const BATCH_SIZE = 50;

export const SINGLE_QUERY = `query Recommendations($userId: ID!, $first: Int) {
  recommendations(userId: $userId, first: $first) {
    ${LIST_FIELDS}
  }
}`;

function batchQuery(size: number): string {
  const variables = Array.from({ length: size }, (_, index) => `$u${index}: ID!`).join(', ');
  const fields = Array.from(
    { length: size },
    (_, index) => `  u${index}: recommendations(userId: $u${index}, first: $first) {\n    ${LIST_FIELDS}\n  }`,
  ).join('\n');
  return `query BatchRecommendations(${variables}, $first: Int) {\n${fields}\n}`;
}

export const BATCH_QUERY = batchQuery(BATCH_SIZE);

export function singleBody(userId: string): string {
  return JSON.stringify({ query: SINGLE_QUERY, variables: { userId, first: LIST_LENGTH } });
}

/** Up to BATCH_SIZE users as aliased fields; fewer than BATCH_SIZE get a query of their own size. */
export function batchBody(userIds: readonly string[]): string {
  if (userIds.length > BATCH_SIZE) throw new RangeError(`at most ${BATCH_SIZE} users per batch, got ${userIds.length}`);
  const variables: Record<string, string | number> = { first: LIST_LENGTH };
  userIds.forEach((userId, index) => (variables[`u${index}`] = userId));
  const query = userIds.length === BATCH_SIZE ? BATCH_QUERY : batchQuery(userIds.length);
  return JSON.stringify({ query, variables });
}

/** The headers of every request, baseline and gateway alike. */
export function requestHeaders(authorization: string): Readonly<Record<string, string>> {
  return {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    authorization,
  };
}

/** Where the bodies of one load run come from: called once per request, from every connection. */
export type BodySource = () => string;

/** Cycles over prepared bodies from a random starting point (building them up front keeps the load generator light). */
function cycling(bodies: readonly string[]): BodySource {
  let next = Math.floor(Math.random() * bodies.length);
  return () => bodies[next++ % bodies.length] as string;
}

/** Cycles over warm users, one per request. */
export function cyclingUsers(userIds: readonly string[]): BodySource {
  return cycling(userIds.map(singleBody));
}

/** A user never seen before on every request (ids unique across the whole bench process). */
let coldCounter = 0;
const COLD_PREFIX = `cold-${process.pid}-${Date.now().toString(36)}`;
export function coldUsers(): BodySource {
  return () => singleBody(`${COLD_PREFIX}-${coldCounter++}`);
}

/** Consecutive windows of BATCH_SIZE distinct warm users, one window per request. */
export function batchesOfUsers(userIds: readonly string[]): BodySource {
  if (userIds.length < BATCH_SIZE) throw new Error(`batch scenario needs at least ${BATCH_SIZE} warm users`);
  const windows = Math.ceil(userIds.length / BATCH_SIZE);
  const bodies = Array.from({ length: windows }, (_, window) =>
    batchBody(
      Array.from(
        { length: BATCH_SIZE },
        (_, offset) => userIds[(window * BATCH_SIZE + offset) % userIds.length] as string,
      ),
    ),
  );
  return cycling(bodies);
}
