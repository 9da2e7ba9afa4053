import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportSvg } from './report/chart.js';
import { DEFAULT_REPORT_OPTIONS, runFreshnessReport } from './report/run.js';

/**
 * `npm run report [-- --seconds 15 --users 300 --out reports]`: runs a short load against two in-process gateway
 * replicas (v1 then v2 of the model, one memory store), samples /metrics every second, and writes
 * `<out>/freshness.svg` (served age percentiles, sources and version mix over time) and `<out>/freshness.json`
 * (the points behind it). Viewable without Grafana.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: String(DEFAULT_REPORT_OPTIONS.seconds) },
      users: { type: 'string', default: String(DEFAULT_REPORT_OPTIONS.users) },
      out: { type: 'string', default: 'reports' },
    },
  });
  const seconds = Number(values.seconds);
  const users = Number(values.users);
  if (!Number.isInteger(seconds) || seconds < 4 || seconds > 600 || !Number.isInteger(users) || users < 1) {
    throw new Error(
      `--seconds must be a whole number from 4 to 600 and --users a positive whole number, but got: ${values.seconds}, ${values.users}`,
    );
  }
  // The rollout sits in the middle of the run whatever its length, and the TTL stays short enough to expire in it.
  const options = { ...DEFAULT_REPORT_OPTIONS, seconds, users, rolloutFrom: seconds * 0.43, rolloutTo: seconds * 0.63 };
  const result = await runFreshnessReport(options, (line) => process.stdout.write(`${line}\n`));
  await mkdir(values.out, { recursive: true });
  const svgPath = join(values.out, 'freshness.svg');
  await writeFile(svgPath, reportSvg(result));
  await writeFile(join(values.out, 'freshness.json'), `${JSON.stringify(result, null, 2)}\n`);
  const p99s = result.points.map((point) => point.p99 ?? 0);
  process.stdout.write(
    `${result.requests} requests, ${result.failures} failed; served age p99 peaked at ${Math.max(...p99s).toFixed(1)} s ` +
      `(TTL ${options.ttlSeconds} s); wrote ${svgPath}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`report failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
