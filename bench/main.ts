/**
 * `npm run bench [-- <command>]`:
 *
 *   (none), ab   the A/B run against a bare Apollo server: Apollo's response cache, mercurius + graphql-jit and the
 *                gateway on each store, each paired with a baseline run (run.ts; BENCH_* settings)
 *   pipeline     CPU per request of the GraphQL pipeline in-process: baseline vs gateway, jit vs reference executor
 *   profile      CPU profile of the hit path under load (PROFILE_* settings)
 *   misses       hit p99 idle vs beside a stream of cold users, scoring in-process vs in the worker pool
 *   entries      Redis memory per cached list, format 1 vs format 2, projected to 10 million users
 *   scaling      hit throughput, p99 and CPU per user at 10k/100k/1M cached users and 1/10/50/100 users per request
 *   hit-path     pipeline, misses, entries and scaling, one after another
 *   tracing      CPU per hit with tracing off, off with a remote model, on at 1 % and on at 100 % (tracing.ts)
 *   freshness-frontier  served divergence vs model computes per TTL policy, on a simulated population (FRONTIER_*)
 *   faults       Redis killed / frozen / paused under load with purchases: what is served and how fast (faults.ts)
 *   before-after the hit path of an older checkout (BENCH_BEFORE_DIR) and of this one, alternating in one run
 *   memory-store heap and hit cost of the embedded store for 100,000 users, packed vs decoded objects (MEMSTORE_*)
 *   store-read   CPU of one hit's store read in process: memory, Redis, Redis with the near cache (STORE_READ_*)
 */
const command = process.argv[2] ?? 'ab';

async function runCommand(name: string): Promise<void> {
  switch (name) {
    case 'pipeline':
      return (await import('./pipeline.js')).pipelineBench();
    case 'profile':
      return (await import('./profile.js')).profileHitPath();
    case 'misses':
      return (await import('./misses.js')).missesBench();
    case 'entries':
      return (await import('./entries.js')).entriesBench();
    case 'scaling':
      return (await import('./scaling.js')).scalingBench();
    case 'tracing':
      return (await import('./tracing.js')).tracingBench();
    case 'freshness-frontier':
      return (await import('./freshness-frontier.js')).freshnessFrontierBench();
    case 'faults':
      return (await import('./faults.js')).faultsBench();
    case 'before-after':
      return (await import('./before-after.js')).beforeAfterBench();
    case 'memory-store':
      return (await import('./memory-store.js')).memoryStoreBench();
    case 'store-read':
      return (await import('./store-read.js')).storeReadBench();
    default:
      throw new Error(
        `unknown bench command ${JSON.stringify(name)}: ab, pipeline, profile, misses, entries, scaling, tracing, freshness-frontier, faults, before-after, memory-store, store-read or hit-path`,
      );
  }
}

if (command === 'ab') {
  // run.ts runs on import and exits by itself.
  await import('./run.js');
} else {
  let exitCode = 0;
  try {
    for (const name of command === 'hit-path' ? ['pipeline', 'misses', 'entries', 'scaling'] : [command])
      await runCommand(name);
  } catch (error) {
    exitCode = 1;
    process.stderr.write(
      `bench ${command} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(exitCode);
}
