/**
 * The freshness alert rules (ops/alerts-freshness.yml): Prometheus' own promtool accepts them, unit-tests them on
 * synthetic series (a fleet at 50% within target fires, one at 95% does not), and every metric they read is one the
 * gateway exports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PrometheusTelemetry } from '../../src/telemetry/metrics.js';
import { declaredFamilies } from '../support/prometheus.js';

const run = promisify(execFile);
const RULES = fileURLToPath(new URL('../../ops/alerts-freshness.yml', import.meta.url));

const UNIT_TESTS = `rule_files:
  - ${RULES}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'recs_served_divergence_count{job="drifting"}'
        values: '0+10x120'
      - series: 'recs_served_within_target_total{job="drifting"}'
        values: '0+5x120'
      - series: 'recs_served_divergence_count{job="healthy"}'
        values: '0+10x120'
      - series: 'recs_served_within_target_total{job="healthy"}'
        values: '0+9.5x120'
    alert_rule_test:
      - eval_time: 20m
        alertname: RecsServedListsDivergeBeyondTarget
        exp_alerts: []
      - eval_time: 90m
        alertname: RecsServedListsDivergeBeyondTarget
        exp_alerts:
          - exp_labels:
              severity: warning
              job: drifting
            exp_annotations:
              summary: "served lists diverge from the model's current answer beyond target"
              description: 'Only 50% of sampled lists served by drifting are within FRESHNESS_TARGET (RBO distance) of what the model answers now. Users are shown lists the model no longer stands by. Check the "Freshness" row of the recs-gateway dashboard: divergence by age bucket says whether fresh lists (TTL too long: lower FRESHNESS_TTL_MAX_SECONDS or FRESHNESS_TARGET) or STALE ones (grace too long, or recomputes failing) are the cause.'
`;

describe('freshness alert rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    expect(stdout).toContain('SUCCESS: 2 rules found');
  });

  it('fire for a fleet mostly beyond target and not for a healthy one (promtool test rules)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freshness-alerts-'));
    try {
      const file = join(dir, 'tests.yml');
      await writeFile(file, UNIT_TESTS);
      const { stdout } = await run('promtool', ['test', 'rules', file]);
      expect(stdout).toContain('SUCCESS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('read only metrics the gateway exports', async () => {
    const rules = await readFile(RULES, 'utf8');
    const exprs = [...rules.matchAll(/expr: \|\n((?: {10}.*\n)+)/g)].map((match) => match[1] as string);
    expect(exprs).toHaveLength(2);
    const families = declaredFamilies(
      await new PrometheusTelemetry({ ttlSeconds: 600, defaultMetrics: false }).registry.metrics(),
    );
    for (const name of exprs.flatMap((expr) =>
      [...expr.matchAll(/\b(recs_[a-z0-9_]+)\b/g)].map((match) => match[1] as string),
    )) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(families.has(name) || families.get(base) === 'histogram', name).toBe(true);
    }
  });
});
