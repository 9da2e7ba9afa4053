/**
 * Waiting in tests. Synchronise on what the code tells you (an event, a promise, a log line, an injected clock), or
 * poll a condition with `waitFor`; `sleep` is for the waits that are themselves the point of a test, such as letting
 * a real TTL or timeout lapse.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** How often `waitFor` looks again: often enough that a test waits little past the moment, rarely enough to be cheap. */
const POLL_MS = 20;

/**
 * Polls `check` until it returns true; fails with `what` (and what `explain` says of the state then) after `ms`,
 * so a condition that never comes fails the test with a message instead of a hang.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 15_000,
  explain?: () => Promise<string> | string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      const state = explain === undefined ? '' : ` (${await explain()})`;
      throw new Error(`timed out after ${ms} ms waiting for: ${what}${state}`);
    }
    await sleep(POLL_MS);
  }
}
