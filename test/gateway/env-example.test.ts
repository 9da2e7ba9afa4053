/**
 * `.env.example` lists every variable the gateway reads, each with a one-line meaning and its default: read as an
 * environment (the way `node --env-file` reads it), it configures exactly what no environment does. Add a variable
 * to src/config.ts without it here and this fails, naming the variable.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { TRACING_VARIABLES, readTracingSettings } from '../../src/telemetry/tracing/settings.js';

const EXAMPLE = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');
const CONFIG_SOURCE = readFileSync(fileURLToPath(new URL('../../src/config.ts', import.meta.url)), 'utf8');

interface Entry {
  readonly name: string;
  readonly value: string;
  readonly meaning: string | undefined;
}

function entries(text: string): Entry[] {
  const lines = text.split('\n');
  return lines.flatMap((line, index) => {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match === null) return [];
    const above = lines[index - 1] ?? '';
    const meaning = /^# \S/.test(above) ? above.slice(2) : undefined;
    return [{ name: match[1] as string, value: match[2] as string, meaning }];
  });
}

/** Every variable src/config.ts reads: `readX(env, 'NAME', ...)`, `env.NAME` and `env['NAME']`. */
function configVariables(source: string): string[] {
  const patterns = [
    /\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g,
    /\benv\.([A-Z][A-Z0-9_]*)\b/g,
    /\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
  ];
  return [
    ...new Set(patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] as string))),
  ].sort();
}

describe('.env.example', () => {
  const listed = entries(EXAMPLE);
  const names = new Set(listed.map((entry) => entry.name));
  const read = configVariables(CONFIG_SOURCE);

  it('finds the variables src/config.ts reads (the extraction itself works)', () => {
    expect(read).toEqual(
      expect.arrayContaining(['PORT', 'REDIS_URL', 'AUTH_JWT_SECRET', 'AUTH_JWKS_URL', 'SHUTDOWN_DRAIN_MS']),
    );
    expect(read.length).toBeGreaterThanOrEqual(25);
  });

  it('lists every variable of src/config.ts and of the tracing settings', () => {
    const missing = [...read, ...TRACING_VARIABLES].filter((name) => !names.has(name));
    expect(
      missing,
      `add these to .env.example, each with a one-line meaning above it and its default: ${missing.join(', ')}`,
    ).toEqual([]);
  });

  it('lists nothing the gateway does not read, and nothing twice', () => {
    const known = new Set<string>([...read, ...TRACING_VARIABLES]);
    const unknown = listed.map((entry) => entry.name).filter((name) => !known.has(name));
    expect(unknown, `not read by the gateway: ${unknown.join(', ')}`).toEqual([]);
    expect(listed.length).toBe(names.size);
  });

  it('says in one comment line above each variable what it means', () => {
    const unexplained = listed.filter((entry) => entry.meaning === undefined).map((entry) => entry.name);
    expect(unexplained).toEqual([]);
  });

  it('gives the defaults: loaded as the environment, it configures the same gateway as no environment, tracing off', () => {
    // Node's own parser, as `--env-file` uses it, reads the same entries.
    const asNodeReadsIt = parseEnv(EXAMPLE);
    expect(Object.keys(asNodeReadsIt).sort()).toEqual([...names].sort());
    expect(loadConfig(asNodeReadsIt)).toEqual(loadConfig({}));
    expect(readTracingSettings(asNodeReadsIt, 'recs-gateway')).toBeUndefined();
    // Each value on its own, so a wrong default cannot hide behind another variable.
    for (const entry of listed) {
      if (entry.value === '' || !read.includes(entry.name)) continue;
      expect(loadConfig({ [entry.name]: entry.value }), entry.name).toEqual(loadConfig({}));
    }
  });
});
