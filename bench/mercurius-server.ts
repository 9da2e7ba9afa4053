/**
 * Bench child: mercurius + graphql-jit serving the baseline's schema and lists (baseline-mercurius.ts).
 *
 *   node --import tsx bench/mercurius-server.ts
 */
import { createMercuriusServer } from './baseline-mercurius.js';
import { serveAsBenchChild } from './child.js';

await serveAsBenchChild(async () => {
  const { http } = await createMercuriusServer();
  const address = await http.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/graphql` };
});
