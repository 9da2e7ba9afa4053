/**
 * Reading V8 CPU profiles (`node --cpu-prof`): self time by package, and self and total time per function, over a
 * window at the end of the profile, which is where a bench puts its load (the start of a profile is module loading
 * and warming). The one summariser of `.cpuprofile` files: `profile.ts` and the `profile-summary.ts` CLI both use it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FunctionTime {
  /** `name file:line`, with paths shortened to the package or the project. */
  readonly name: string;
  /** Share of the busy (non-idle) samples in the window, 0-1. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly windowMs: number;
  /** Share of the window the thread was not idle. */
  readonly busy: number;
  /** By self time, grouped by package (node_modules/<name>, src/<dir>, node internals, GC, native). */
  readonly packages: readonly FunctionTime[];
  /** By self time: where the CPU actually was. */
  readonly self: readonly FunctionTime[];
  /** By total time (self + callees, each function counted once per sample): what a call costs overall. */
  readonly total: readonly FunctionTime[];
}

function isProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const { nodes, samples, timeDeltas, startTime, endTime } = value as Record<string, unknown>;
  return (
    Array.isArray(nodes) &&
    Array.isArray(samples) &&
    Array.isArray(timeDeltas) &&
    typeof startTime === 'number' &&
    typeof endTime === 'number'
  );
}

function label(frame: ProfileNode['callFrame']): string {
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${where === '' ? '' : `${where}:${frame.lineNumber + 1}`}`.trim();
}

function packageOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules !== null) return modules[1] as string;
  const source = /\/(src|bench|test)\/([^/]+)\//.exec(url);
  if (source !== null) return `${source[1]}/${source[2]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

/** Summarises the last `lastSeconds` of a profile (all of it when undefined). */
export async function summariseProfile(
  path: string,
  lastSeconds: number | undefined,
  top = 30,
): Promise<ProfileSummary> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${path} is not a V8 CPU profile`);
  const byId = new Map(parsed.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of parsed.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const from = lastSeconds === undefined ? Number.NEGATIVE_INFINITY : parsed.endTime - lastSeconds * 1e6;

  const packages = new Map<string, number>();
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let at = parsed.startTime;
  let all = 0;
  let busy = 0;
  parsed.samples.forEach((id, index) => {
    const delta = parsed.timeDeltas[index] ?? 0;
    at += delta;
    if (at < from) return;
    const node = byId.get(id);
    if (node === undefined) return;
    all += delta;
    if (node.callFrame.functionName === '(idle)') return;
    busy += delta;
    const group = packageOf(node.callFrame);
    packages.set(group, (packages.get(group) ?? 0) + delta);
    const name = label(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + delta);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const frame = byId.get(current);
      if (frame === undefined) break;
      const frameName = label(frame.callFrame);
      if (seen.has(frameName)) continue;
      seen.add(frameName);
      total.set(frameName, (total.get(frameName) ?? 0) + delta);
    }
  });
  const ranked = (times: Map<string, number>): FunctionTime[] =>
    [...times]
      .filter(([name]) => name !== '(root)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / Math.max(busy, 1) }));
  return {
    windowMs: all / 1000,
    busy: all > 0 ? busy / all : 0,
    packages: ranked(packages),
    self: ranked(self),
    total: ranked(total),
  };
}

export function profileTables(summary: ProfileSummary): string {
  const table = (title: string, rows: readonly FunctionTime[]): string =>
    [
      `| ${title} | % of busy |`,
      '|---|---:|',
      ...rows.map((row) => `| \`${row.name.replace(/\|/g, '\\|')}\` | ${(100 * row.share).toFixed(1)} |`),
    ].join('\n');
  return [
    `${summary.windowMs.toFixed(0)} ms profiled, ${(100 * summary.busy).toFixed(0)}% busy`,
    '',
    table('self time by package', summary.packages),
    '',
    table('self time', summary.self),
    '',
    table('total time (self + callees)', summary.total),
  ].join('\n');
}

/** Node writes one profile per thread into `dir`; the main thread's is the largest. */
export async function mainThreadProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile')).map((file) => join(dir, file));
  const sized = await Promise.all(files.map(async (path) => ({ path, size: (await stat(path)).size })));
  const largest = sized.sort((a, b) => b.size - a.size)[0];
  if (largest === undefined) throw new Error(`no CPU profile was written into ${dir}`);
  return largest.path;
}
