/**
 * Where a server's CPU time went: summarises V8 CPU profiles written with BENCH_CPU_PROF=1 by self time, grouped
 * by package (node_modules/<name>, src/<dir>, node internals, GC, idle) and by function.
 *
 *   BENCH_CPU_PROF=1 BENCH_SCENARIOS=hit-memory npm run bench
 *   npx tsx bench/profile-summary.ts [profile.cpuprofile ...]
 *
 * Without arguments: the main-thread profile (the largest file) of every server under bench/results/profiles/.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const PROFILE_DIR = fileURLToPath(new URL('./results/profiles/', import.meta.url));
const TOP = 25;

function isProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const { nodes, samples, timeDeltas } = value as Record<string, unknown>;
  return Array.isArray(nodes) && Array.isArray(samples) && Array.isArray(timeDeltas);
}

function groupOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules !== null) return modules[1] as string;
  const source = /\/(src|bench|test)\/([^/]+)\//.exec(url);
  if (source !== null) return `${source[1]}/${source[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

/** Shares are of the busy (non-idle) time: what the CPU did, not how long the process waited. */
function table(title: string, totals: Map<string, number>, busy: number): string {
  const rows = [...totals]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP);
  return [
    `### ${title}`,
    '',
    '| self ms | % of busy | what |',
    '|---:|---:|---|',
    ...rows.map(
      ([name, us]) => `| ${(us / 1000).toFixed(0)} | ${((100 * us) / Math.max(busy, 1)).toFixed(1)} | ${name} |`,
    ),
    '',
  ].join('\n');
}

async function summarise(path: string): Promise<string> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${path} is not a V8 CPU profile`);
  const byId = new Map(parsed.nodes.map((node) => [node.id, node]));
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  let busy = 0;
  parsed.samples.forEach((id, index) => {
    const node = byId.get(id);
    const delta = parsed.timeDeltas[index] ?? 0;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    all += delta;
    if (functionName !== '(idle)') busy += delta;
    const group = groupOf(url, functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + delta);
    const name = `${functionName || '(anonymous)'} ${group}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  return [
    `## ${path}`,
    '',
    `${(all / 1000).toFixed(0)} ms sampled, ${((100 * busy) / Math.max(all, 1)).toFixed(1)}% not idle`,
    '',
    table('self time by package', byGroup, busy),
    table('self time by function', byFunction, busy),
  ].join('\n');
}

/** Each server's directory holds one profile per thread; the main thread's is the big one. */
async function mainThreadProfiles(): Promise<string[]> {
  const found: string[] = [];
  for (const server of await readdir(PROFILE_DIR)) {
    const dir = join(PROFILE_DIR, server);
    if (!(await stat(dir)).isDirectory()) continue;
    const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(dir, name));
    const sized = await Promise.all(files.map(async (path) => ({ path, size: (await stat(path)).size })));
    const largest = sized.sort((a, b) => b.size - a.size)[0];
    if (largest !== undefined) found.push(largest.path);
  }
  return found;
}

const given = process.argv.slice(2);
const paths = given.length > 0 ? given : await mainThreadProfiles();
for (const path of paths) process.stdout.write(`${await summarise(path)}\n`);
