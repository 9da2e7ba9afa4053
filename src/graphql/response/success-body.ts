/**
 * The bytes of a successful answer the fast path writes: Apollo's serialisation of a result without errors, `data`
 * then `extensions` (left out when undefined), then a newline. The one place the fast path serialises a body, so
 * that another writer (a compiled one, say) replaces this function alone.
 */
export function writeSuccessBody(data: unknown, extensions: Record<string, unknown> | undefined): string {
  return `${JSON.stringify({ data, extensions })}\n`;
}
