/**
 * Warming for the focused bench commands (profile, misses, scaling): every user read once through GraphQL (a cold read: the model computes, the
 * cache stores), up to 50 users per request as aliased fields, a few requests at a time. Checks that every list came
 * back whole, so a measurement never starts on a half-warm cache.
 */
const PER_REQUEST = 50;

function warmQuery(userIds: readonly string[], first: number): string {
  const fields = userIds.map(
    (userId, index) =>
      `u${index}: recommendations(userId: ${JSON.stringify(userId)}, first: ${first}) { userId source items { rank } }`,
  );
  return `query Warm { ${fields.join(' ')} }`;
}

/** Reads every user once; resolves with how many lists the model computed (the rest were already cached). */
export async function warmThroughGraphQL(
  url: string,
  userIds: readonly string[],
  headers: Readonly<Record<string, string>>,
  options: { readonly concurrency?: number; readonly first?: number } = {},
): Promise<{ readonly computed: number; readonly seconds: number }> {
  const started = performance.now();
  const first = options.first ?? 20;
  const chunks: string[][] = [];
  for (let index = 0; index < userIds.length; index += PER_REQUEST)
    chunks.push(userIds.slice(index, index + PER_REQUEST));
  let next = 0;
  let computed = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const chunk = chunks[next++] as string[];
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...headers },
        body: JSON.stringify({ query: warmQuery(chunk, first) }),
      });
      const text = await response.text();
      const body = JSON.parse(text) as {
        data?: Record<string, { source: string; items: unknown[] }> | null;
        errors?: unknown;
      };
      if (response.status !== 200 || body.errors !== undefined || body.data == null)
        throw new Error(`warming failed: HTTP ${response.status} ${text.slice(0, 300)}`);
      for (const list of Object.values(body.data)) {
        if (list.items.length !== first)
          throw new Error(`warming: a list of ${list.items.length} items, expected ${first}`);
        if (list.source === 'MODEL') computed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, chunks.length) }, worker));
  return { computed, seconds: (performance.now() - started) / 1000 };
}
