import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { ConfigError } from '../config.js';
import { APOLLO_APQ_KEY_PREFIX } from './persisted-query-store.js';

/**
 * Trusted documents (also called persisted documents or a safelist): the operations a mobile or web app was built
 * with, extracted at build time into a manifest. The gateway serves them by id without any registration, and, with
 * TRUSTED_DOCUMENTS_ONLY=true, runs nothing else: no other document, no new registration, so neither arbitrary
 * queries nor the persisted query store are open to a client.
 *
 * Two manifest formats are read, as the tools write them:
 * - GraphQL Code Generator's client preset (`persistedDocuments: true`): `persisted-documents.json`, an object of
 *   `{ "<hash>": "<document>" }`;
 * - Apollo's persisted query manifest (`generate-persisted-query-manifest`):
 *   `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "name", "type", "body" }] }`.
 *
 * A document is trusted by its manifest id (what a client sends as `extensions.persistedQuery.sha256Hash`) and by
 * the SHA-256 of its text (what Apollo computes for a request that carries the full text), so either form of the
 * same operation is accepted.
 */
export class TrustedDocuments {
  readonly #byId: ReadonlyMap<string, string>;
  readonly #hashes: ReadonlySet<string>;

  constructor(byId: ReadonlyMap<string, string>) {
    this.#byId = byId;
    this.#hashes = new Set([...byId.keys(), ...[...byId.values()].map(sha256)]);
  }

  /** The document with this manifest id, if any. */
  get(id: string): string | undefined {
    return this.#byId.get(id);
  }

  /** Whether a request whose query hash (Apollo's `queryHash`) is this may run. */
  trusts(queryHash: string | undefined): boolean {
    return queryHash !== undefined && this.#hashes.has(queryHash);
  }

  get size(): number {
    return this.#byId.size;
  }
}

export async function loadTrustedDocuments(path: string): Promise<TrustedDocuments> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `TRUSTED_DOCUMENTS_MANIFEST must name a readable file, but got: ${JSON.stringify(path)} (${(error as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `TRUSTED_DOCUMENTS_MANIFEST must be JSON, but ${JSON.stringify(path)} is not: ${(error as Error).message}`,
    );
  }
  return parseTrustedDocuments(json, path);
}

const MAX_ID_LENGTH = 128;

/** Reads either manifest format; anything else is a ConfigError naming the expected shapes and what was found. */
export function parseTrustedDocuments(json: unknown, source: string): TrustedDocuments {
  const byId = new Map<string, string>();
  const add = (id: unknown, body: unknown, where: string): void => {
    if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
      throw new ConfigError(
        `${source}: ${where} must have an id of 1-${MAX_ID_LENGTH} characters, but got: ${JSON.stringify(id)}`,
      );
    }
    if (typeof body !== 'string' || body.trim() === '') {
      throw new ConfigError(`${source}: ${where} must have a non-empty document, but got: ${JSON.stringify(body)}`);
    }
    byId.set(id, body);
  };
  if (!isRecord(json)) {
    throw new ConfigError(
      `${source} must be a JSON object ({"<hash>": "<document>"} or an Apollo persisted query manifest), but got: ${describe(json)}`,
    );
  }
  if (json.format === 'apollo-persisted-query-manifest') {
    if (json.version !== 1 || !Array.isArray(json.operations)) {
      throw new ConfigError(
        `${source}: an Apollo persisted query manifest must have "version": 1 and an "operations" array`,
      );
    }
    json.operations.forEach((operation: unknown, index: number) => {
      const entry = isRecord(operation) ? operation : {};
      add(entry.id, entry.body, `operations[${index}]`);
    });
  } else {
    for (const [id, body] of Object.entries(json)) add(id, body, `entry ${JSON.stringify(id)}`);
  }
  return new TrustedDocuments(byId);
}

/**
 * The persisted query cache Apollo sees when a manifest is configured: manifest documents first (Apollo asks with
 * its `apq:` prefix), then, unless only trusted documents may run, the registered ones; in trusted-only mode nothing
 * is registered.
 */
export class TrustedDocumentsCache implements KeyValueCache<string> {
  constructor(
    private readonly trusted: TrustedDocuments,
    private readonly registered: KeyValueCache<string>,
    private readonly only: boolean,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const document = this.trusted.get(
      key.startsWith(APOLLO_APQ_KEY_PREFIX) ? key.slice(APOLLO_APQ_KEY_PREFIX.length) : key,
    );
    if (document !== undefined || this.only) return document;
    return this.registered.get(key);
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    if (!this.only) await this.registered.set(key, value, options);
  }

  async delete(key: string): Promise<boolean | void> {
    if (!this.only) await this.registered.delete(key);
  }
}

/**
 * For the HTTP layer in trusted-only mode: the full query text a GraphQL request carries (POST body or GET
 * parameter) when that text is not a trusted document, so it can be refused before Apollo parses it; undefined when
 * the request may go on (a trusted text, a request by hash only, or no text at all, which Apollo answers itself).
 */
export function untrustedQueryText(
  trusted: TrustedDocuments,
  method: string,
  body: unknown,
  query: unknown,
): string | undefined {
  const source = method === 'GET' ? query : body;
  if (!isRecord(source) || typeof source.query !== 'string') return undefined;
  return trusted.trusts(sha256(source.query)) ? undefined : source.query;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
}
