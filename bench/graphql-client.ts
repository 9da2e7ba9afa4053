/**
 * A minimal GraphQL client for warming and sanity checks (not on the measured path): posts a body and checks that
 * every `recommendations` field came back whole, with the expected source.
 */
import { LIST_LENGTH } from './queries.js';

export type Source = 'CACHE' | 'MODEL' | 'STALE';

export interface ListSummary {
  readonly userId: string;
  readonly source: Source;
  readonly items: number;
}

export interface Checked {
  readonly lists: readonly ListSummary[];
  readonly bytes: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSource(value: unknown): value is Source {
  return value === 'CACHE' || value === 'MODEL' || value === 'STALE';
}

function summarise(field: string, value: unknown): ListSummary {
  if (!isRecord(value)) throw new Error(`${field}: not an object`);
  const { userId, source, items } = value;
  if (typeof userId !== 'string' || !isSource(source) || !Array.isArray(items))
    throw new Error(`${field}: unexpected shape`);
  items.forEach((entry: unknown, index) => {
    const item = isRecord(entry) ? entry.item : undefined;
    if (!isRecord(entry) || typeof entry.rank !== 'number' || typeof entry.score !== 'number' || !isRecord(item)) {
      throw new Error(`${field}.items[${index}]: unexpected shape`);
    }
    if (typeof item.id !== 'string' || typeof item.title !== 'string' || typeof item.category !== 'string') {
      throw new Error(`${field}.items[${index}].item: unexpected shape`);
    }
  });
  return { userId, source, items: items.length };
}

/** Posts one body; resolves with a summary of every list in the answer, or rejects on any error or short list. */
export async function postAndCheck(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
): Promise<Checked> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status} from ${url}: ${text.slice(0, 500)}`);
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed)) throw new Error(`not a GraphQL response: ${text.slice(0, 500)}`);
  if (parsed.errors !== undefined)
    throw new Error(`GraphQL errors from ${url}: ${JSON.stringify(parsed.errors).slice(0, 500)}`);
  const data = parsed.data;
  if (!isRecord(data)) throw new Error(`no data from ${url}: ${text.slice(0, 500)}`);
  const lists = Object.entries(data).map(([field, value]) => summarise(field, value));
  const short = lists.find((list) => list.items !== LIST_LENGTH);
  if (short !== undefined) throw new Error(`${short.userId}: ${short.items} items, expected ${LIST_LENGTH}`);
  return { lists, bytes: Buffer.byteLength(text) };
}

/** Asserts every list in `checked` has the expected source (e.g. CACHE on the hit path). */
export function expectSource(checked: Checked, source: Source, what: string): void {
  const wrong = checked.lists.find((list) => list.source !== source);
  if (wrong !== undefined)
    throw new Error(`${what}: user ${wrong.userId} served as ${wrong.source}, expected ${source}`);
}

/**
 * Queries every user once (a cold read: the model computes and the cache stores), `perRequest` users per request
 * as aliased fields (one model call per request), `concurrency` requests at a time. Resolves with how many lists
 * the model computed, which must be all of them.
 */
export async function warmUsers(
  url: string,
  userIds: readonly string[],
  bodyFor: (userIds: readonly string[]) => string,
  perRequest: number,
  headers: Readonly<Record<string, string>>,
  concurrency: number,
): Promise<{ readonly computed: number; readonly seconds: number }> {
  const started = performance.now();
  const chunks: string[][] = [];
  for (let index = 0; index < userIds.length; index += perRequest)
    chunks.push(userIds.slice(index, index + perRequest));
  let next = 0;
  let computed = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next++] as string[];
      const checked = await postAndCheck(url, bodyFor(chunk), headers);
      computed += checked.lists.filter((list) => list.source === 'MODEL').length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return { computed, seconds: (performance.now() - started) / 1000 };
}
