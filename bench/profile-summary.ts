/**
 * Where a server's CPU time went: summarises V8 CPU profiles written with BENCH_CPU_PROF=1 (through
 * `cpu-profile.ts`, the one summariser) by self time per package and per function, and by total time.
 *
 *   BENCH_CPU_PROF=1 BENCH_SCENARIOS=hit-memory npm run bench
 *   npx tsx bench/profile-summary.ts [profile.cpuprofile ...]
 *
 * Without arguments: the main-thread profile (the largest file) of every server under bench/results/profiles/.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mainThreadProfile, profileTables, summariseProfile } from './cpu-profile.js';

const PROFILE_DIR = fileURLToPath(new URL('./results/profiles/', import.meta.url));
const TOP = 25;

/** One directory per server under PROFILE_DIR. */
async function serverProfiles(): Promise<string[]> {
  const found: string[] = [];
  for (const server of await readdir(PROFILE_DIR)) {
    const dir = join(PROFILE_DIR, server);
    if (!(await stat(dir)).isDirectory()) continue;
    if (!(await readdir(dir)).some((name) => name.endsWith('.cpuprofile'))) continue;
    found.push(await mainThreadProfile(dir));
  }
  return found;
}

const given = process.argv.slice(2);
const paths = given.length > 0 ? given : await serverProfiles();
for (const path of paths) {
  // The whole profile: these runs do not mark a measured window.
  const summary = await summariseProfile(path, undefined, TOP);
  process.stdout.write(`## ${path}\n\n${profileTables(summary)}\n\n`);
}
