import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

/**
 * Where a secret could sit in a logged object. The request log line carries no headers at all; these paths are the
 * second line of defence for anything that logs a request, a response or an error holding one (pino's `redact`
 * replaces the value, at the cost of nothing on lines without those paths).
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'request.headers.authorization',
  'request.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
  'reply.headers["set-cookie"]',
  'err.headers.authorization',
];

export const REDACTED = '[redacted]';

/** The gateway's one logger: JSON lines at `level` (LOG_LEVEL), secrets redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: [...REDACTED_PATHS], censor: REDACTED } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
