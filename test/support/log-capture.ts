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
  /**
   * The first line, written already or still to come, that matches: for waiting on a line the code writes later
   * (a request line is written after the response has been sent). Rejects after `timeoutMs` so a missing line fails
   * the test with a message instead of a hang.
   */
  next(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

interface Waiter {
  readonly predicate: (line: LogLine) => boolean;
  readonly resolve: (line: LogLine) => void;
}

/** A real pino logger, as the gateway builds it, that tests can read back. */
export function captureLogs(level = 'info'): CapturedLogger {
  let text = '';
  const parsed: LogLine[] = [];
  let waiters: Waiter[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const written = chunk.toString('utf8');
      text += written;
      for (const raw of written.split('\n')) {
        if (raw.trim() === '') continue;
        const line = JSON.parse(raw) as LogLine;
        parsed.push(line);
        waiters = waiters.filter((waiter) => {
          if (!waiter.predicate(line)) return true;
          waiter.resolve(line);
          return false;
        });
      }
      done();
    },
  });
  const logger = createLogger(level, sink);
  return {
    logger,
    text: () => text,
    lines: () => [...parsed],
    next(predicate, timeoutMs = 5_000) {
      const found = parsed.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter.resolve !== settle);
          reject(new Error(`no matching log line within ${timeoutMs} ms; lines so far:\n${text}`));
        }, timeoutMs);
        const settle = (line: LogLine): void => {
          clearTimeout(timer);
          resolve(line);
        };
        waiters.push({ predicate, resolve: settle });
      });
    },
  };
}

/** The request lines (one per request) among captured lines. */
export function requestLines(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line.msg === 'request');
}
