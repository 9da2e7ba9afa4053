import type { ChildProcess } from 'node:child_process';

/**
 * Stopping the server processes the test and bench harnesses start (redis-server, nats-server) by pid, whatever
 * state they are in: a process that already exited is left alone, one that ignores SIGTERM gets SIGKILL.
 */

/** How long a process may take to exit on SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 3_000;

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function waitForExit(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
export async function terminate(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = waitForExit(child);
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(escalation);
  }
}

/** SIGKILL (a crash, as tests need it); resolves once the process has exited. */
export async function killNow(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = waitForExit(child);
  child.kill('SIGKILL');
  await exited;
}
