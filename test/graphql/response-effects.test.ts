/**
 * The response effects reach both answering paths: whatever list the fast path is given, it runs on its answers
 * (started before executing, applied before writing), and Apollo's response-effects plugin runs the same list on
 * Apollo's. And the fast path's lookup of persisted queries on its own: by hash, by manifest id, and in trusted-only
 * mode by manifest id alone.
 */
import { createHash } from 'node:crypto';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/graphql/context.js';
import { createFastPath } from '../../src/graphql/fast-path.js';
import type { FastPathRequest } from '../../src/graphql/fast-path.js';
import { HandedOverResults } from '../../src/graphql/handed-over-results.js';
import { KnownOperations } from '../../src/graphql/known-operations.js';
import { createRequestRecord } from '../../src/graphql/request-record.js';
import type { RequestRecord } from '../../src/graphql/request-record.js';
import type { GraphQLAnswer, ResponseEffect } from '../../src/graphql/response/effect.js';
import { responseEffectsPlugin } from '../../src/graphql/response/effects-plugin.js';
import { createMediaTypeChooser, mediaTypeEffect } from '../../src/graphql/response/media-type.js';
import type { MediaTypeChooser } from '../../src/graphql/response/media-type.js';

import { TrustedDocumentsCache, parseTrustedDocuments } from '../../src/graphql/trusted-documents.js';

const TYPE_DEFS = 'type Query { a: Int }';
const resolvers = { Query: { a: () => 1 } };
const schema = makeExecutableSchema({ typeDefs: TYPE_DEFS, resolvers });
const QUERY = '{ a }';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** An effect that says which path ran it, and counts its starts. */
function witness(): ResponseEffect & { starts: number; seen: GraphQLAnswer[] } {
  const effect = {
    name: 'witness',
    starts: 0,
    seen: [] as GraphQLAnswer[],
    started() {
      effect.starts += 1;
    },
    apply(answer: GraphQLAnswer) {
      effect.seen.push(answer);
      answer.headers.set('x-answered-by', answer.fastPath ? 'fast path' : 'apollo');
    },
  };
  return effect;
}

function knownQuery(): KnownOperations {
  const compiled = compileQuery(schema, parse(QUERY));
  if (!isCompiledQuery(compiled)) throw new Error('did not compile');
  const known = new KnownOperations();
  known.remember(QUERY, undefined, { compiled, operationName: null });
  return known;
}

function fastRequest(body: unknown): FastPathRequest {
  const context = { record: createRequestRecord() } as unknown as GatewayContext;
  return { contentType: 'application/json', accept: undefined, body, context: async () => context };
}

describe('response effects on both paths', () => {
  it('the fast path starts and applies every effect it is given, in order, before it writes the body', async () => {
    const effect = witness();
    const order: string[] = [];
    const later: ResponseEffect = { name: 'later', apply: () => void order.push('later') };
    const fastPath = createFastPath({
      known: knownQuery(),
      handedOver: new HandedOverResults(),
      effects: [{ name: 'first', apply: () => void order.push('first') }, effect, later],
      chooseMediaType: createMediaTypeChooser(),
      telemetry: { fastPath: () => {} },
    });
    const answer = await fastPath.serve(fastRequest({ query: QUERY }));
    expect(answer?.headers).toEqual([['x-answered-by', 'fast path']]);
    expect(answer?.body).toBe('{"data":{"a":1}}\n');
    expect(effect.starts).toBe(1);
    expect(order).toEqual(['first', 'later']);
    expect(effect.seen[0]?.operation).toEqual({ type: 'query', name: null });
  });

  it('the fast path chooses the media type once per answer, and the media-type effect sets that choice', async () => {
    const asked: Array<string | undefined> = [];
    const choose = createMediaTypeChooser();
    const chooseMediaType: MediaTypeChooser = (accept) => {
      asked.push(accept);
      return choose(accept);
    };
    const fastPath = createFastPath({
      known: knownQuery(),
      handedOver: new HandedOverResults(),
      effects: [mediaTypeEffect(chooseMediaType)],
      chooseMediaType,
      telemetry: { fastPath: () => {} },
    });
    const accept = 'application/graphql-response+json';
    const answer = await fastPath.serve({ ...fastRequest({ query: QUERY }), accept });
    expect(answer?.headers).toEqual([['content-type', 'application/graphql-response+json; charset=utf-8']]);
    expect(asked).toEqual([accept]);
  });

  it("Apollo's response-effects plugin runs the same effect on Apollo's answers", async () => {
    const effect = witness();
    const apollo = new ApolloServer<{ record: RequestRecord }>({
      typeDefs: TYPE_DEFS,
      resolvers,
      plugins: [responseEffectsPlugin([effect])],
    });
    await apollo.start();
    try {
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          headers: new HeaderMap([['content-type', 'application/json']]),
          search: '',
          body: { query: QUERY },
        },
        context: async () => ({ record: createRequestRecord() }),
      });
      expect(response.headers.get('x-answered-by')).toBe('apollo');
      expect(effect.starts).toBe(1);
      expect(effect.seen[0]?.operation).toEqual({ type: 'query', name: null });
    } finally {
      await apollo.stop();
    }
  });
});

describe('persisted queries on the fast path, on its own', () => {
  const manifest = parseTrustedDocuments({ 'manifest-id-1': QUERY }, 'manifest.json');
  const hashOnly = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
  const serveWith = (cache: KeyValueCache<string>, trusted?: typeof manifest) =>
    createFastPath({
      known: knownQuery(),
      handedOver: new HandedOverResults(),
      effects: [],
      chooseMediaType: createMediaTypeChooser(),
      telemetry: { fastPath: () => {} },
      persistedQueries: cache,
      trusted,
    });

  it('answers a hash only when the persisted query cache holds its known text, as Apollo would find it', async () => {
    const registered = new InMemoryLRUCache<string>();
    const fastPath = serveWith(registered);
    // Known text, never registered: Apollo answers PERSISTED_QUERY_NOT_FOUND, so the fast path passes.
    expect(await fastPath.serve(fastRequest(hashOnly(sha256(QUERY))))).toBeUndefined();
    await registered.set(`apq:${sha256(QUERY)}`, QUERY);
    expect((await fastPath.serve(fastRequest(hashOnly(sha256(QUERY)))))?.body).toBe('{"data":{"a":1}}\n');
    expect(await fastPath.serve(fastRequest(hashOnly(sha256('{ b }'))))).toBeUndefined();
    // With the text as well, the hash is Apollo's to check (and the text to register).
    expect(await fastPath.serve(fastRequest({ query: QUERY, ...hashOnly(sha256(QUERY)) }))).toBeUndefined();
  });

  it('answers a manifest id; in trusted-only mode a manifest id alone', async () => {
    const registered = new InMemoryLRUCache<string>();
    await registered.set(`apq:${sha256(QUERY)}`, QUERY);
    const withManifest = serveWith(new TrustedDocumentsCache(manifest, registered, false), manifest);
    expect(await withManifest.serve(fastRequest(hashOnly('manifest-id-1')))).toBeDefined();
    expect(await withManifest.serve(fastRequest(hashOnly(sha256(QUERY))))).toBeDefined();
    const trustedOnly = serveWith(new TrustedDocumentsCache(manifest, registered, true), manifest);
    expect(await trustedOnly.serve(fastRequest(hashOnly('manifest-id-1')))).toBeDefined();
    // Apollo's cache holds manifest ids only in this mode: the text's own hash is PERSISTED_QUERY_NOT_FOUND there.
    expect(await trustedOnly.serve(fastRequest(hashOnly(sha256(QUERY))))).toBeUndefined();
  });
});
