import { ConfigError, loadConfig } from '../../config.js';

/** What the reference model server reads from its environment. */
export interface ModelServerConfig {
  /** TCP port (PORT, default 4100: beside the gateway's 4000). */
  readonly port: number;
  /** Interface to bind (HOST, default 127.0.0.1: the reference server is for tests and development). */
  readonly host: string;
  /** The version the built-in model computes and labels (MODEL_VERSION, default v1). */
  readonly modelVersion: string;
  /** Artificial latency per rank call (MODEL_LATENCY_MS, default 0, at most 60000). */
  readonly latencyMs: number;
  readonly logLevel: string;
  /** Whether the built-in model drifts with the clock (MODEL_DRIFT, as in the gateway; default on, off under NODE_ENV=test). */
  readonly drift: boolean;
}

const MAX_LATENCY_MS = 60_000;

/**
 * Reads the model server's settings. The variables it shares with the gateway go through the gateway's own
 * `loadConfig` (same rules, same messages); only those are passed, so gateway-only variables in the same environment
 * can never stop the model server from starting.
 */
export function loadModelServerConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ModelServerConfig {
  const shared = loadConfig({
    PORT: env.PORT === undefined || env.PORT === '' ? '4100' : env.PORT,
    HOST: env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST,
    MODEL_VERSION: env.MODEL_VERSION,
    LOG_LEVEL: env.LOG_LEVEL,
    MODEL_DRIFT: env.MODEL_DRIFT,
    NODE_ENV: env.NODE_ENV === 'test' ? 'test' : undefined,
  });
  return {
    port: shared.port,
    host: shared.host,
    modelVersion: shared.modelVersion,
    latencyMs: readLatency(env.MODEL_LATENCY_MS),
    logLevel: shared.logLevel,
    drift: shared.modelDrift,
  };
}

function readLatency(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value > MAX_LATENCY_MS) {
    throw new ConfigError(
      `MODEL_LATENCY_MS must be a whole number from 0 to ${MAX_LATENCY_MS}, but got: ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
