/**
 * The media-type response effect (run by Apollo's response-effects plugin) chooses the Content-Type Apollo would have chosen, for every Accept header (it only
 * remembers the choice per header), and leaves unacceptable headers to Apollo's 406.
 */
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypeEffect } from '../../src/graphql/response/media-type.js';
import { responseEffectsPlugin } from '../../src/graphql/response/effects-plugin.js';
import { createRequestRecord } from '../../src/graphql/request-record.js';
import type { RequestRecord } from '../../src/graphql/request-record.js';

const typeDefs = 'type Query { hello: String }';
const resolvers = { Query: { hello: () => 'world' } };

/** Records the content type already set when willSendResponse runs (after the plugin under test). */
function witness(seen: Array<string | undefined>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          seen.push(response.http.headers.get('content-type'));
        },
      };
    },
  };
}

/** The effects read the request's record; Apollo alone ignores it. */
type Context = BaseContext & { record: RequestRecord };

async function post(
  server: ApolloServer<Context>,
  accept: string | undefined,
  query = '{ hello }',
): Promise<{ status: number; type: string | undefined }> {
  const headers = new HeaderMap([['content-type', 'application/json']]);
  if (accept !== undefined) headers.set('accept', accept);
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers, search: '', body: { query } },
    context: async () => ({ record: createRequestRecord() }),
  });
  return { status: response.status ?? 200, type: response.headers.get('content-type') };
}

describe('mediaTypeEffect', () => {
  const seen: Array<string | undefined> = [];
  const bare = new ApolloServer<Context>({ typeDefs, resolvers });
  const withPlugin = new ApolloServer<Context>({
    typeDefs,
    resolvers,
    plugins: [responseEffectsPlugin<Context>([mediaTypeEffect()]), witness(seen)],
  });

  beforeAll(async () => {
    await Promise.all([bare.start(), withPlugin.start()]);
  });

  afterAll(async () => {
    await Promise.all([bare.stop(), withPlugin.stop()]);
  });

  const headers: Array<string | undefined> = [
    undefined,
    '',
    'application/json',
    'application/graphql-response+json',
    'application/graphql-response+json, application/json',
    'application/json;q=0.5, application/graphql-response+json',
    '*/*',
    'application/*',
    'text/html, */*;q=0.1',
    'application/json; callbackSpec=1.0',
  ];

  for (const accept of headers) {
    it(`Accept: ${accept === undefined ? '(none)' : JSON.stringify(accept)} gets what Apollo alone gives, twice`, async () => {
      const expected = await post(bare, accept);
      expect(await post(withPlugin, accept)).toEqual(expected);
      // The second time comes from the plugin's memo.
      expect(await post(withPlugin, accept)).toEqual(expected);
    });
  }

  it('the plugin set the type itself, before Apollo would have negotiated it', async () => {
    seen.length = 0;
    await post(withPlugin, 'application/graphql-response+json');
    expect(seen).toEqual(['application/graphql-response+json; charset=utf-8']);
  });

  it('an Accept header that takes none of the offers is still refused by Apollo with 406', async () => {
    const expected = await post(bare, 'text/plain');
    expect(expected.status).toBe(406);
    expect(await post(withPlugin, 'text/plain')).toEqual(expected);
  });

  it('error responses get the same type as well', async () => {
    const accept = 'application/graphql-response+json';
    expect(await post(withPlugin, accept, '{ nope }')).toEqual(await post(bare, accept, '{ nope }'));
  });
});
