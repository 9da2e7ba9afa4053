/**
 * The Node flags the gateway runs with: `npm start` and the production command in docs/operations.md carry them,
 * and so do the gateways the benchmarks and the multi-process tests start, so that what is measured is what runs
 * (test/http/production-start.test.ts checks all three agree).
 *
 * `--max-semi-space-size=32`: V8's new space (two semi-spaces) may grow to 2 x 32 MiB instead of 2 x 16 MiB. A hit allocates
 * ~50 KB of objects that die within the request, so at thousands of hits a second the default young generation
 * fills every few milliseconds, and each scavenge also copies the objects of the requests still in flight. Measured
 * on a cache hit at saturation: 95 -> 79 µs of CPU per request with 32 MiB, 78-82 µs with 64 MiB (not worth the
 * memory); at most 32 MiB more resident memory.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
