/** Bench settings, from the environment (all optional). */

export interface BenchOptions {
  /** Measured seconds per run (BENCH_SECONDS). */
  readonly seconds: number;
  /** Unmeasured seconds of the same load before each run (BENCH_WARMUP_SECONDS). */
  readonly warmupSeconds: number;
  /** A B rounds per scenario (BENCH_ROUNDS). */
  readonly rounds: number;
  readonly connections: number;
  /**
   * Connections of the batch-50 scenario (BENCH_BATCH_CONNECTIONS). Fewer than the others: the server interleaves
   * concurrent requests, so each batch waits for all the others and 50 x 50 users in flight mostly measures queueing.
   */
  readonly batchConnections: number;
  /** Distinct warm users of the hit and batch scenarios (BENCH_USERS). */
  readonly users: number;
  /** Users timed in the in-process model measurement (BENCH_MODEL_USERS). */
  readonly modelUsers: number;
  /** Only these scenarios (BENCH_SCENARIOS, comma separated); all when empty. */
  readonly scenarios: readonly string[];
  /** NODE_ENV of the servers under test (BENCH_NODE_ENV). */
  readonly nodeEnv: 'production' | 'development' | 'test';
  /** Write a V8 CPU profile of every server (BENCH_CPU_PROF=1) into bench/results/profiles/. */
  readonly cpuProfile: boolean;
  /** Extra gateway settings (BENCH_GATEWAY_ENV, e.g. `GRAPHQL_EXECUTOR=reference,MODEL_WORKERS=0`), applied last. */
  readonly gatewayEnv: Readonly<Record<string, string>>;
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, but got: ${JSON.stringify(raw)}`);
  }
  return value;
}

function assignments(env: Env, name: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of (env[name] ?? '').split(',')) {
    if (part.trim() === '') continue;
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(part);
    if (match === null)
      throw new Error(`${name} must be comma-separated NAME=value pairs, but got: ${JSON.stringify(part)}`);
    result[match[1] as string] = (match[2] as string).trim();
  }
  return result;
}

export function readOptions(env: Env): BenchOptions {
  const nodeEnv = env.BENCH_NODE_ENV ?? 'production';
  if (nodeEnv !== 'production' && nodeEnv !== 'development' && nodeEnv !== 'test') {
    throw new Error(`BENCH_NODE_ENV must be production, development or test, but got: ${JSON.stringify(nodeEnv)}`);
  }
  return {
    seconds: integer(env, 'BENCH_SECONDS', 5, 1, 600),
    warmupSeconds: integer(env, 'BENCH_WARMUP_SECONDS', 2, 0, 60),
    rounds: integer(env, 'BENCH_ROUNDS', 2, 1, 50),
    connections: integer(env, 'BENCH_CONNECTIONS', 50, 1, 1000),
    batchConnections: integer(env, 'BENCH_BATCH_CONNECTIONS', 10, 1, 1000),
    users: integer(env, 'BENCH_USERS', 2000, 50, 100_000),
    modelUsers: integer(env, 'BENCH_MODEL_USERS', 1000, 1, 100_000),
    scenarios: (env.BENCH_SCENARIOS ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
    nodeEnv,
    cpuProfile: env.BENCH_CPU_PROF === '1',
    gatewayEnv: assignments(env, 'BENCH_GATEWAY_ENV'),
  };
}

// Settings of the focused sub-commands (misses, scaling, profile), read straight from the environment.

/** A positive whole number from `name`, or `fallback` when unset. */
export function whole(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive whole number, but got: ${JSON.stringify(raw)}`);
  return value;
}

/** One of `allowed` from `name`, or `fallback` when unset. */
export function choice<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const found = allowed.find((value) => value === raw);
  if (found === undefined)
    throw new Error(`${name} must be one of ${allowed.join(', ')}, but got: ${JSON.stringify(raw)}`);
  return found;
}
