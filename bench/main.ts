/**
 * `npm run bench [-- <command>]`:
 *
 *   (none), ab   the A/B run against a bare Apollo server (run.ts; BENCH_* settings)
 *   pipeline     CPU per request of the GraphQL pipeline in-process: baseline vs gateway, jit vs reference executor
 *   profile      CPU profile of the hit path under load (PROFILE_* settings)
 *   misses       hit p99 idle vs beside a stream of cold users, scoring in-process vs in the worker pool
 *   entries      Redis memory per cached list, format 1 vs format 2, projected to 10 million users
 *   scaling      hit throughput, p99 and CPU per user at 10k/100k/1M cached users and 1/10/50/100 users per request
 *   issue7       pipeline, misses, entries and scaling, one after another
 *   faults       Redis killed / frozen / paused under load with purchases: what is served and how fast (faults.ts)
 */
const command = process.argv[2] ?? 'ab';

async function issue7(name: string): Promise<void> {
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
    case 'faults':
      return (await import('./faults.js')).faultsBench();
    default:
      throw new Error(`unknown bench command ${JSON.stringify(name)}: ab, pipeline, profile, misses, entries, scaling, faults or issue7`);
  }
}

if (command === 'ab') {
  // run.ts runs on import and exits by itself.
  await import('./run.js');
} else {
  let exitCode = 0;
  try {
    for (const name of command === 'issue7' ? ['pipeline', 'misses', 'entries', 'scaling'] : [command]) await issue7(name);
  } catch (error) {
    exitCode = 1;
    process.stderr.write(`bench ${command} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(exitCode);
}
