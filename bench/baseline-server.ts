/**
 * Bench child: the baseline of baseline-apollo.ts, or with BASELINE_RESPONSE_CACHE=1 the same server behind
 * Apollo's whole-response cache.
 *
 *   node --import tsx bench/baseline-server.ts
 */
import { createBaselineServer } from './baseline-apollo.js';
import { serveAsBenchChild } from './child.js';

await serveAsBenchChild(async () => {
  const { http } = await createBaselineServer({ responseCache: process.env.BASELINE_RESPONSE_CACHE === '1' });
  const address = await http.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/graphql` };
});
