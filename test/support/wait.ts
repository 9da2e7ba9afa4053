/**
 * Waiting in tests. Synchronise on what the code tells you (an event, a promise, a log line, an injected clock);
 * `sleep` is for the waits that are themselves the point of a test, such as letting a real TTL or timeout lapse.
 */
export { setTimeout as sleep } from 'node:timers/promises';
