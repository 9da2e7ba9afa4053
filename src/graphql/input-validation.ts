import { BadUserInputError } from '../errors.js';

/**
 * Argument contracts, checked before any cache or model work. Ids end up inside Redis keys and logs, so they are
 * held to a small character set: no braces (a forged hash tag), no white space, no control characters.
 */
export const ID_PATTERN = /^[A-Za-z0-9_.:@-]+$/;
export const MAX_ID_LENGTH = 128;

export function validId(value: string, argumentName: string): string {
  if (value.length === 0 || value.length > MAX_ID_LENGTH || !ID_PATTERN.test(value)) {
    throw new BadUserInputError(
      `${argumentName} must be 1-${MAX_ID_LENGTH} characters of letters, digits, '_', '.', ':', '@' or '-', but got: ${preview(value)}`,
      argumentName,
    );
  }
  return value;
}

export function validFirst(value: number | null | undefined, max: number, fallback: number): number {
  const first = value ?? fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) {
    throw new BadUserInputError(`first must be a whole number from 1 to ${max}, but got: ${String(first)}`, 'first');
  }
  return first;
}

// Echo enough of a bad value to recognise it, never an unbounded or control-laden string.
function preview(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(shown)} (${value.length} characters)`;
}
