/**
 * `BENCH_BEFORE_DIR=/path/to/older/checkout npm run bench -- before-after`: the hit path of an older checkout and of
 * this one, measured in one run. Each round runs the A/B bench (`run.ts`, scenarios hit-memory and hit-redis) once in
 * the older checkout and once here, alternating, so both meet the same machine; each A/B run pairs its gateway with a
 * bare Apollo server measured just before it, and the ratios to that baseline are what is compared.
 *
 * The older checkout needs its own `node_modules` (`npm ci` there). Settings: BENCH_BEFORE_DIR (required),
 * BENCH_BEFORE_ROUNDS (3); the A/B bench's own settings (BENCH_SECONDS, BENCH_CONNECTIONS, ...) pass through.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './log.js';
import { whole } from './options.js';
import type { SummaryRow } from './report.js';
import { median } from './stats.js';

const THIS_DIR = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = ['hit-memory', 'hit-redis'] as const;

interface Figures {
  /** Gateway req/s ÷ bare Apollo req/s, in the same A/B run. */
  readonly ratio: number;
  /** Bare Apollo CPU per request ÷ gateway CPU per request, in the same A/B run. */
  readonly cpuRatio: number;
  readonly cpuMicrosPerRequest: number;
}

type Side = 'before' | 'after';

export async function beforeAfterBench(): Promise<void> {
  const beforeDir = process.env.BENCH_BEFORE_DIR;
  if (beforeDir === undefined || beforeDir === '') {
    throw new Error('before-after needs BENCH_BEFORE_DIR: the path of an older checkout with its own node_modules');
  }
  const rounds = whole('BENCH_BEFORE_ROUNDS', 3);
  const results: Record<Side, Record<string, Figures[]>> = { before: {}, after: {} };
  for (let round = 1; round <= rounds; round += 1) {
    for (const [side, dir] of [
      ['before', beforeDir],
      ['after', THIS_DIR],
    ] as const) {
      log(`round ${round}/${rounds}: ${side} (${dir})`);
      for (const row of await abRun(dir)) {
        if (!(SCENARIOS as readonly string[]).includes(row.scenario)) continue;
        (results[side][row.scenario] ??= []).push({
          ratio: row.ratioToBaseline,
          cpuRatio: row.cpuRatioToBaseline,
          cpuMicrosPerRequest: row.serverCpuMsPerRequest * 1000,
        });
      }
    }
  }
  process.stdout.write(render(results));
}

/** One A/B run in `dir`; resolves with its summary rows. */
async function abRun(dir: string): Promise<readonly SummaryRow[]> {
  const env = { ...process.env, BENCH_SCENARIOS: SCENARIOS.join(','), BENCH_ROUNDS: '1' };
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`A/B bench in ${dir} exited with ${code}`)),
    );
  });
  const latest = JSON.parse(await readFile(join(dir, 'bench/results/latest.json'), 'utf8')) as {
    summary: SummaryRow[];
  };
  return latest.summary;
}

function render(results: Record<Side, Record<string, Figures[]>>): string {
  const lines = [
    '',
    '| scenario | side | req/s ratio to bare Apollo (median; rounds) | CPU ratio to bare Apollo (median; rounds) | CPU µs per hit (median) |',
    '|---|---|---|---|---|',
  ];
  for (const scenario of SCENARIOS) {
    for (const side of ['before', 'after'] as const) {
      const figures = results[side][scenario] ?? [];
      const list = (pick: (figures: Figures) => number): string => figures.map((f) => pick(f).toFixed(2)).join(', ');
      lines.push(
        `| ${scenario} | ${side} | ${median(figures.map((f) => f.ratio)).toFixed(2)} (${list((f) => f.ratio)}) | ` +
          `${median(figures.map((f) => f.cpuRatio)).toFixed(2)} (${list((f) => f.cpuRatio)}) | ${median(figures.map((f) => f.cpuMicrosPerRequest)).toFixed(0)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
