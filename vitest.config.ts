import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// One graphql instance, as under Node: graphql 16 has no `exports` map, so Node loads its CommonJS `index.js` for
// every importer (Apollo, graphql-jit, graphql-tools, our sources), while Vite's resolver would hand our sources the
// `module` build (`index.mjs`). Two instances break `instanceof GraphQLError` and graphql's cross-realm checks.
const GRAPHQL_ENTRY = createRequire(import.meta.url).resolve('graphql');

// Tests start real redis-server, gateway and browser processes: generous timeouts, and few files at once on 2 cores.
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: GRAPHQL_ENTRY }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
