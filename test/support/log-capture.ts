import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/telemetry/logger.js';

/** A parsed pino line. */
export type LogLine = Record<string, unknown> & { msg?: string; level: number };

export interface CapturedLogger {
  /** The gateway's own logger (`createLogger`: same redaction), writing into memory instead of stdout. */
  readonly logger: Logger;
  /** Every line written so far, raw. */
  text(): string;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
}

/** A real pino logger, as the gateway builds it, that tests can read back. */
export function captureLogs(level = 'info'): CapturedLogger {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const logger = createLogger(level, sink);
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LogLine),
  };
}

/** The request lines (one per request) among captured lines. */
export function requestLines(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line.msg === 'request');
}
