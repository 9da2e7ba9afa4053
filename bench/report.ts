/**
 * Turning runs into the report: medians per scenario, the req/s ratio to the baseline run of the same round
 * (paired, so drift between rounds cancels), a markdown table for the terminal and JSON for bench/results/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { LoadResult } from './load.js';
import type { ModelTiming } from './model-bench.js';
import type { BenchOptions } from './options.js';
import type { ServerStats, TelemetryCounters } from './protocol.js';
import { median } from './stats.js';

export type ScenarioName = 'hit-memory' | 'hit-redis' | 'apollo-response-cache' | 'mercurius-jit' | 'miss' | 'batch-50';
export type Role = 'baseline' | 'gateway';

export interface ServerDelta {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Server CPU time per 2xx response. */
  readonly cpuMsPerRequest: number;
  /** CPU time over wall time: 1.0 is one core fully busy. */
  readonly cpuUtilisation: number;
  /** Event-loop utilisation over the run. */
  readonly elu: number;
  /** Counter deltas from the gateway's metrics; undefined for the baseline. */
  readonly telemetry: TelemetryCounters | undefined;
}

export interface RunRecord {
  readonly round: number;
  readonly scenario: ScenarioName;
  readonly role: Role;
  readonly server: string;
  readonly usersPerRequest: number;
  readonly load: LoadResult;
  readonly serverDelta: ServerDelta;
  readonly warnings: readonly string[];
}

export interface SummaryRow {
  readonly scenario: string;
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median of the per-round ratios gateway req/s ÷ baseline req/s; 1 for the baselines themselves. */
  readonly ratioToBaseline: number;
  readonly ratiosPerRound: readonly number[];
  /**
   * Median of the per-round ratios baseline server CPU ms/request ÷ gateway server CPU ms/request: throughput per
   * core. When other processes take CPU from the server (event loop always busy, CPU use well below one core),
   * req/s mostly measures the scheduler, and this is the steadier figure.
   */
  readonly cpuRatioToBaseline: number;
  readonly cpuRatiosPerRound: readonly number[];
  readonly baseline: string;
  readonly usersPerSecond: number;
  readonly serverCpuMsPerRequest: number;
  readonly serverCpuUtilisation: number;
  readonly serverElu: number;
  readonly bytesPerResponse: number;
  /** Server-side model time per computed user (telemetry), where the model ran. */
  readonly modelMsPerUser: number | undefined;
}

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly totalMemGiB: number;
  /** 1-minute load average when the bench started: anything near or above `cores` means others are competing. */
  readonly loadAverage1m: number;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    platform: `${platform()} ${release()}`,
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function serverDelta(before: ServerStats, after: ServerStats, responses2xx: number): ServerDelta {
  const wallMs = after.atMs - before.atMs;
  const cpuMs = (after.cpuUserUs - before.cpuUserUs + after.cpuSystemUs - before.cpuSystemUs) / 1000;
  const active = after.eluActiveMs - before.eluActiveMs;
  const idle = after.eluIdleMs - before.eluIdleMs;
  let telemetry: TelemetryCounters | undefined;
  if (before.telemetry !== undefined && after.telemetry !== undefined) {
    const earlier = before.telemetry;
    telemetry = { ...after.telemetry };
    for (const key of Object.keys(telemetry) as Array<keyof TelemetryCounters>) telemetry[key] -= earlier[key];
  }
  return {
    wallMs,
    cpuMs,
    cpuMsPerRequest: responses2xx > 0 ? cpuMs / responses2xx : Number.NaN,
    cpuUtilisation: wallMs > 0 ? cpuMs / wallMs : Number.NaN,
    elu: active + idle > 0 ? active / (active + idle) : Number.NaN,
    telemetry,
  };
}

const BASELINE_LABEL: Record<ScenarioName, string> = {
  'hit-memory': 'baseline',
  'hit-redis': 'baseline',
  'apollo-response-cache': 'baseline',
  'mercurius-jit': 'baseline',
  miss: 'baseline',
  'batch-50': 'baseline (batch-50 query)',
};

function summariseRuns(
  scenario: string,
  runs: readonly RunRecord[],
  ratios: readonly number[],
  cpuRatios: readonly number[],
  baseline: string,
): SummaryRow {
  const pick = (get: (run: RunRecord) => number): number => median(runs.map(get));
  const modelUsers = runs.reduce((sum, run) => sum + (run.serverDelta.telemetry?.modelUsers ?? 0), 0);
  const modelMs = runs.reduce((sum, run) => sum + (run.serverDelta.telemetry?.modelMs ?? 0), 0);
  return {
    scenario,
    runs: runs.length,
    requestsPerSecond: pick((run) => run.load.requestsPerSecond),
    p50Ms: pick((run) => run.load.p50Ms),
    p99Ms: pick((run) => run.load.p99Ms),
    ratioToBaseline: ratios.length === 0 ? 1 : median(ratios),
    ratiosPerRound: ratios,
    cpuRatioToBaseline: cpuRatios.length === 0 ? 1 : median(cpuRatios),
    cpuRatiosPerRound: cpuRatios,
    baseline,
    usersPerSecond: pick((run) => run.load.requestsPerSecond * run.usersPerRequest),
    serverCpuMsPerRequest: pick((run) => run.serverDelta.cpuMsPerRequest),
    serverCpuUtilisation: pick((run) => run.serverDelta.cpuUtilisation),
    serverElu: pick((run) => run.serverDelta.elu),
    bytesPerResponse: pick((run) => run.load.bytesPerResponse),
    modelMsPerUser: modelUsers > 0 ? modelMs / modelUsers : undefined,
  };
}

/** One row per baseline flavour and per gateway scenario, in the order the scenarios ran. */
export function summarise(runs: readonly RunRecord[], order: readonly ScenarioName[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const baselineRuns = new Map<string, RunRecord[]>();
  for (const run of runs) {
    if (run.role !== 'baseline') continue;
    const label = BASELINE_LABEL[run.scenario];
    baselineRuns.set(label, [...(baselineRuns.get(label) ?? []), run]);
  }
  const emitted = new Set<string>();
  for (const scenario of order) {
    const label = BASELINE_LABEL[scenario];
    const baseRuns = baselineRuns.get(label);
    if (!emitted.has(label) && baseRuns !== undefined) {
      emitted.add(label);
      rows.push(summariseRuns(label, baseRuns, [], [], label));
    }
    const gatewayRuns = runs.filter((run) => run.role === 'gateway' && run.scenario === scenario);
    if (gatewayRuns.length === 0) continue;
    const pairs = gatewayRuns.flatMap((run) => {
      const pair = runs.find(
        (other) => other.role === 'baseline' && other.scenario === scenario && other.round === run.round,
      );
      return pair === undefined ? [] : [{ gateway: run, baseline: pair }];
    });
    const ratios = pairs.map(
      ({ gateway, baseline }) => gateway.load.requestsPerSecond / baseline.load.requestsPerSecond,
    );
    const cpuRatios = pairs.map(
      ({ gateway, baseline }) => baseline.serverDelta.cpuMsPerRequest / gateway.serverDelta.cpuMsPerRequest,
    );
    rows.push(summariseRuns(scenario, gatewayRuns, ratios, cpuRatios, label));
  }
  return rows;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

function thousands(value: number): string {
  return Number.isNaN(value) ? '–' : Math.round(value).toLocaleString('en-US');
}

function ratioCell(median: number, perRound: readonly number[]): string {
  return perRound.length === 0
    ? '1.00'
    : `${fixed(median, 2)} (${perRound.map((ratio) => ratio.toFixed(2)).join(', ')})`;
}

function markdownTable(rows: readonly SummaryRow[]): string {
  const lines = [
    '| scenario | req/s | p50 ms | p99 ms | server CPU µs/req | ratio to baseline | CPU-normalised ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${thousands(row.requestsPerSecond)} | ${fixed(row.p50Ms, 2)} | ${fixed(row.p99Ms, 2)} | ` +
        `${fixed(row.serverCpuMsPerRequest * 1000, 0)} | ` +
        `${ratioCell(row.ratioToBaseline, row.ratiosPerRound)} | ${ratioCell(row.cpuRatioToBaseline, row.cpuRatiosPerRound)} |`,
    );
  }
  return lines.join('\n');
}

function diagnosticsTable(rows: readonly SummaryRow[]): string {
  const lines = [
    '| scenario | users/s | server CPU ms/req | server CPU (1.0 = a core) | event-loop util | bytes/resp | model ms/user (server) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${thousands(row.usersPerSecond)} | ${fixed(row.serverCpuMsPerRequest, 3)} | ${fixed(row.serverCpuUtilisation, 2)} | ` +
        `${fixed(row.serverElu, 2)} | ${thousands(row.bytesPerResponse)} | ${fixed(row.modelMsPerUser, 3)} |`,
    );
  }
  return lines.join('\n');
}

function runsTable(runs: readonly RunRecord[]): string {
  const lines = [
    '| round | scenario | role | req/s | p50 ms | p99 ms | server CPU | CPU ms/req | non-2xx / errors |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of runs) {
    lines.push(
      `| ${run.round} | ${run.scenario} | ${run.role} | ${thousands(run.load.requestsPerSecond)} | ${fixed(run.load.p50Ms, 2)} | ` +
        `${fixed(run.load.p99Ms, 2)} | ${fixed(run.serverDelta.cpuUtilisation, 2)} | ${fixed(run.serverDelta.cpuMsPerRequest, 3)} | ` +
        `${run.load.non2xx} / ${run.load.errors} |`,
    );
  }
  return lines.join('\n');
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

export interface ReportInput {
  readonly rows: readonly SummaryRow[];
  readonly runs: readonly RunRecord[];
  readonly model: ModelTiming;
  readonly machine: Machine;
  readonly options: BenchOptions;
  readonly responseBytes: Readonly<Record<string, { readonly baselineBytes: number; readonly gatewayBytes: number }>>;
}

/** The hit path's target: a cache hit at least 1.6x the bare Apollo server's throughput, measured in the same run. */
export const HIT_PATH_TARGET = 1.6;

/** The Redis store's hit must stay within this fraction of the memory store's (each as a ratio to its own baseline run). */
export const STORE_PARITY = 0.1;

/** Redis hit against memory hit, each first divided by the baseline run just before it, so drift between them cancels. */
function storeComparison(memory: SummaryRow, redis: SummaryRow): string {
  const within = (ratio: number): string => (Math.abs(ratio - 1) <= STORE_PARITY ? 'within' : 'NOT within');
  const throughput = redis.ratioToBaseline / memory.ratioToBaseline;
  const cpu = redis.cpuRatioToBaseline / memory.cpuRatioToBaseline;
  return (
    `Redis store vs memory store (target: within ${STORE_PARITY * 100}%): req/s ${throughput.toFixed(2)}x (${within(throughput)}), ` +
    `CPU-normalised ${cpu.toFixed(2)}x (${within(cpu)}); server CPU per hit ${fixed(redis.serverCpuMsPerRequest * 1000, 0)} µs ` +
    `vs ${fixed(memory.serverCpuMsPerRequest * 1000, 0)} µs`
  );
}

/** The whole report as markdown: the summary table first, then the figures that explain it. */

export function renderReport({ rows, runs, model, machine, options, responseBytes }: ReportInput): string {
  const out: string[] = [];
  out.push('', `## recs-gateway bench`, '');
  out.push(`Machine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}`);
  const endLoad = loadavg()[0] ?? 0;
  out.push(
    `Load average (1 min) at start ${machine.loadAverage1m.toFixed(2)}, at end ${endLoad.toFixed(2)}` +
      (Math.max(machine.loadAverage1m, endLoad) > machine.cores * 0.75
        ? ' -- other processes were competing for the cores: trust ratios, not absolutes'
        : ''),
  );
  out.push(
    `Load: autocannon, ${options.connections} connections (batch-50 and its baseline: ${options.batchConnections}), ` +
      `${options.warmupSeconds} s warm-up + ${options.seconds} s measured per run (one continuous run; only responses after the warm-up count), ` +
      `${options.rounds} rounds A B (baseline, gateway); medians; ratio = median of per-round req/s ratios (per-round values in brackets); ` +
      'CPU-normalised ratio = baseline server CPU ms/request / gateway server CPU ms/request (throughput per core, steadier when other processes compete).',
    '',
  );
  if (Object.keys(options.gatewayEnv).length > 0)
    out.push(`Gateway settings from BENCH_GATEWAY_ENV: ${JSON.stringify(options.gatewayEnv)}`, '');
  out.push(markdownTable(rows), '');
  const memoryHit = rows.find((row) => row.scenario === 'hit-memory');
  const verdict = (ratio: number): string => (ratio >= HIT_PATH_TARGET ? 'met' : 'NOT met');
  for (const hit of rows.filter((row) => row.scenario === 'hit-memory' || row.scenario === 'hit-redis')) {
    out.push(
      `Target: hit path >= ${HIT_PATH_TARGET}x the bare server. ${hit.scenario}: req/s ratio ${hit.ratioToBaseline.toFixed(2)} (${verdict(hit.ratioToBaseline)}), ` +
        `CPU-normalised ${hit.cpuRatioToBaseline.toFixed(2)} (${verdict(hit.cpuRatioToBaseline)})`,
      '',
    );
  }
  const redisHit = rows.find((row) => row.scenario === 'hit-redis');
  if (memoryHit !== undefined && redisHit !== undefined) out.push(storeComparison(memoryHit, redisHit), '');
  const batch = rows.find((row) => row.scenario === 'batch-50');
  const single = rows.find((row) => row.scenario === 'baseline');
  if (batch !== undefined) {
    out.push(
      `batch-50: ${Math.round(batch.usersPerSecond).toLocaleString('en-US')} users/s` +
        (single !== undefined
          ? ` (${(batch.usersPerSecond / single.requestsPerSecond).toFixed(1)}x the single-query baseline's req/s)`
          : ''),
    );
  }
  const miss = rows.find((row) => row.scenario === 'miss');
  out.push(
    `model (in-process BuiltinModel.scoreAndRank, top ${model.limit} of ${model.catalogSize} items, ${model.users} users): ` +
      `${model.msPerUserSingle.toFixed(3)} ms/user one user per call, ${model.msPerUserBatched.toFixed(3)} ms/user in one call`,
  );
  if (miss !== undefined) {
    out.push(
      `miss: ${miss.modelMsPerUser === undefined ? '–' : miss.modelMsPerUser.toFixed(3)} ms model call time/user on the server ` +
        '(wall time from its telemetry, Date.now resolution, inflated when the server is descheduled); ' +
        `${miss.serverCpuMsPerRequest.toFixed(3)} ms server CPU/request` +
        (memoryHit !== undefined ? ` vs ${memoryHit.serverCpuMsPerRequest.toFixed(3)} on a memory hit` : ''),
    );
  }
  out.push(
    '',
    'Diagnostics (medians over the runs; server figures from the child process itself):',
    '',
    diagnosticsTable(rows),
    '',
  );
  out.push(
    'Response sizes (preflight, bytes of body): ' +
      Object.entries(responseBytes)
        .map(([name, bytes]) => `${name} baseline ${bytes.baselineBytes} / gateway ${bytes.gatewayBytes}`)
        .join('; '),
    '',
  );
  out.push('All runs:', '', runsTable(runs), '');
  const warnings = runs.flatMap((run) =>
    run.warnings.map((warning) => `round ${run.round} ${run.scenario} ${run.role}: ${warning}`),
  );
  if (warnings.length > 0) out.push('Warnings:', ...warnings.map((warning) => `- ${warning}`), '');
  return `${out.join('\n')}\n`;
}
