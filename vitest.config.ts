import { defineConfig } from 'vitest/config';

// Tests start real redis-server, gateway and browser processes: generous timeouts, and few files at once on 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
