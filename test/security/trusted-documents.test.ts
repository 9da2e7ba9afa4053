/**
 * Trusted documents: a manifest of the operations the apps were built with, in the two formats the tools write
 * (GraphQL Code Generator's client preset `persisted-documents.json`, Apollo's persisted query manifest). Manifest
 * documents are served by id without registration; with TRUSTED_DOCUMENTS_ONLY=true (what production sets) nothing
 * else runs, refused with QUERY_NOT_IN_SAFELIST before it is even parsed, and nothing is registered.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { Cleanups } from '../gateway/helpers.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseTrustedDocuments } from '../../src/graphql/trusted-documents.js';
import { SECRET, hsToken, readResponse } from './helpers.js';
import type { RawResponse } from './helpers.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

const READ = 'query TrustedRead($userId: ID!) { recommendations(userId: $userId, first: 2) { userId items { rank } } }';
const TYPENAME = 'query TrustedTypename { __typename }';
const UNTRUSTED = 'query Untrusted { __typename }';

/** GraphQL Code Generator's client preset with `hashAlgorithm: 'sha1'`: ids are not SHA-256 of the text. */
const CODEGEN_MANIFEST = { [sha1(READ)]: READ };
const APOLLO_MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [{ id: sha256(TYPENAME), name: 'TrustedTypename', type: 'query', body: TYPENAME }],
};

async function post(url: string, token: string, body: Record<string, unknown>): Promise<RawResponse> {
  return readResponse(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    }),
  );
}
const byHash = (hash: string, variables?: Record<string, unknown>) => ({
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
});

describe('manifests', () => {
  it('reads the client preset format and the Apollo format', () => {
    const codegen = parseTrustedDocuments(CODEGEN_MANIFEST, 'persisted-documents.json');
    expect(codegen.size).toBe(1);
    expect(codegen.get(sha1(READ))).toBe(READ);
    // Trusted by its manifest id and by the SHA-256 of its text.
    expect(codegen.trusts(sha1(READ))).toBe(true);
    expect(codegen.trusts(sha256(READ))).toBe(true);
    expect(codegen.trusts(sha256(UNTRUSTED))).toBe(false);
    expect(codegen.trusts(undefined)).toBe(false);
    const apollo = parseTrustedDocuments(APOLLO_MANIFEST, 'manifest.json');
    expect(apollo.get(sha256(TYPENAME))).toBe(TYPENAME);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['an array', [READ], /must be a JSON object/],
    ['null', null, /must be a JSON object/],
    ['a document that is not a string', { abc: 42 }, /non-empty document/],
    ['an empty document', { abc: ' ' }, /non-empty document/],
    ['an id of 129 characters', { ['a'.repeat(129)]: READ }, /id of 1-128 characters/],
    ['an Apollo manifest of version 2', { ...APOLLO_MANIFEST, version: 2 }, /"version": 1/],
    [
      'an Apollo manifest without operations',
      { format: 'apollo-persisted-query-manifest', version: 1 },
      /"operations" array/,
    ],
    [
      'an Apollo operation without a body',
      { ...APOLLO_MANIFEST, operations: [{ id: 'x' }] },
      /operations\[0\] must have a non-empty document/,
    ],
  ];
  for (const [label, json, message] of bad) {
    it(`refuses ${label} with a ConfigError`, () => {
      expect(() => parseTrustedDocuments(json, 'm.json')).toThrow(ConfigError);
      expect(() => parseTrustedDocuments(json, 'm.json')).toThrow(message);
    });
  }

  it('TRUSTED_DOCUMENTS_ONLY=true needs a manifest', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', TRUSTED_DOCUMENTS_ONLY: 'true' })).toThrow(
      /TRUSTED_DOCUMENTS_ONLY=true needs TRUSTED_DOCUMENTS_MANIFEST/,
    );
    expect(loadConfig({ NODE_ENV: 'test', TRUSTED_DOCUMENTS_MANIFEST: '/m.json' }).trustedDocuments).toEqual({
      manifestPath: '/m.json',
      only: false,
    });
  });
});

describe('over HTTP', () => {
  const cleanups = new Cleanups();
  let dir: string;
  let codegenPath: string;
  let apolloPath: string;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trusted-documents-'));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    codegenPath = join(dir, 'persisted-documents.json');
    apolloPath = join(dir, 'persisted-query-manifest.json');
    await writeFile(codegenPath, JSON.stringify(CODEGEN_MANIFEST));
    await writeFile(apolloPath, JSON.stringify(APOLLO_MANIFEST));
    token = await hsToken({ sub: 'trusted-app', scope: 'recommendations:read:any', issuer: '', audience: '' });
  });

  afterAll(async () => {
    await cleanups.run();
  });

  async function start(env: Record<string, string>): Promise<InProcessGateway> {
    const gateway = await startGateway({ AUTH_JWT_SECRET: SECRET, ...env });
    cleanups.add(() => gateway.close());
    return gateway;
  }

  for (const [format, path, hash, query, variables, expected] of [
    [
      'client preset',
      () => codegenPath,
      sha1(READ),
      READ,
      { userId: 'trusted-1' },
      { recommendations: { userId: 'trusted-1' } },
    ],
    ['Apollo manifest', () => apolloPath, sha256(TYPENAME), TYPENAME, undefined, { __typename: 'Query' }],
  ] as const) {
    it(`production, TRUSTED_DOCUMENTS_ONLY=true (${format}): manifest documents by id and by text; nothing else runs or registers`, async () => {
      const gateway = await start({
        NODE_ENV: 'production',
        TRUSTED_DOCUMENTS_MANIFEST: path(),
        TRUSTED_DOCUMENTS_ONLY: 'true',
      });
      const hit = await post(gateway.url, token, byHash(hash, variables));
      expect(hit.errors, hit.text).toEqual([]);
      expect(hit.data).toMatchObject(expected);
      const fullText = await post(gateway.url, token, { query, variables });
      expect(fullText.errors).toEqual([]);
      expect(fullText.data).toMatchObject(expected);
      // A second time, too (the fast path answers documents Apollo has run, and only those).
      expect((await post(gateway.url, token, { query, variables })).data).toMatchObject(expected);

      const refused = await post(gateway.url, token, { query: UNTRUSTED });
      expect([refused.status, refused.code]).toEqual([400, 'QUERY_NOT_IN_SAFELIST']);
      expect(refused.json && 'data' in refused.json).toBe(false);
      // Refused before parsing: a broken or schema-probing document gets the same answer, no parse or validation error.
      expect((await post(gateway.url, token, { query: '{ recommendations(' })).code).toBe('QUERY_NOT_IN_SAFELIST');
      expect((await post(gateway.url, token, { query: '{ usr { id } }' })).code).toBe('QUERY_NOT_IN_SAFELIST');
      // Registration: refused, and the hash stays unknown.
      const register = await post(gateway.url, token, { query: UNTRUSTED, ...byHash(sha256(UNTRUSTED)) });
      expect(register.code).toBe('QUERY_NOT_IN_SAFELIST');
      expect(await gateway.app.persistedQueries.get(`apq:${sha256(UNTRUSTED)}`)).toBeUndefined();
      expect((await post(gateway.url, token, byHash(sha256(UNTRUSTED)))).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });
  }

  it('a manifest without TRUSTED_DOCUMENTS_ONLY: manifest documents by id, and other documents and registrations still work', async () => {
    const gateway = await start({ NODE_ENV: 'test', TRUSTED_DOCUMENTS_MANIFEST: codegenPath });
    expect((await post(gateway.url, token, byHash(sha1(READ), { userId: 'trusted-2' }))).data).toMatchObject({
      recommendations: { userId: 'trusted-2' },
    });
    expect((await post(gateway.url, token, { query: UNTRUSTED })).data).toEqual({ __typename: 'Query' });
    expect((await post(gateway.url, token, { query: UNTRUSTED, ...byHash(sha256(UNTRUSTED)) })).data).toEqual({
      __typename: 'Query',
    });
    expect((await post(gateway.url, token, byHash(sha256(UNTRUSTED)))).data).toEqual({ __typename: 'Query' });
  });

  it('a manifest that cannot be read stops the start with a ConfigError naming the file', async () => {
    const missing = join(dir, 'nope.json');
    await expect(startGateway({ AUTH_JWT_SECRET: SECRET, TRUSTED_DOCUMENTS_MANIFEST: missing })).rejects.toThrow(
      /TRUSTED_DOCUMENTS_MANIFEST must name a readable file/,
    );
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ nope');
    await expect(startGateway({ AUTH_JWT_SECRET: SECRET, TRUSTED_DOCUMENTS_MANIFEST: broken })).rejects.toThrow(
      /TRUSTED_DOCUMENTS_MANIFEST must be JSON/,
    );
  });
});
