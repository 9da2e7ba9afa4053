import type { ItemSplices } from '../item-lists/spliced-operation.js';

/**
 * The bytes of a successful answer the fast path writes: Apollo's serialisation of a result without errors, `data`
 * then `extensions` (left out when undefined), then a newline. The one place the fast path serialises a body.
 *
 * With `splices`, `data` holds a placeholder string where each list's items go (`item-lists/spliced-operation.ts`):
 * each placeholder's JSON string, found in order from where the previous one ended, is replaced by the items' JSON.
 */
export function writeSuccessBody(
  data: unknown,
  extensions: Record<string, unknown> | undefined,
  splices?: ItemSplices,
): string {
  const body = JSON.stringify({ data, extensions });
  if (splices === undefined) return `${body}\n`;
  let written = '';
  let from = 0;
  for (let index = 0; index < splices.placeholders.length; index++) {
    const quoted = `"${splices.placeholders[index] as string}"`;
    const at = body.indexOf(quoted, from);
    written += body.slice(from, at) + (splices.json[index] as string);
    from = at + quoted.length;
  }
  return `${written}${body.slice(from)}\n`;
}
