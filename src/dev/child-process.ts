import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

// Leak protection: whatever a failing test leaves behind (server processes, their data directories) dies with the
// test process.

const liveChildren = new Set<ChildProcess>();
const liveTempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' listeners must be synchronous, hence process.kill/rmSync rather than terminate().
  process.on('exit', () => {
    for (const child of liveChildren) {
      if (child.pid === undefined) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** The child gets SIGKILL when this process exits, unless it exited before. */
export function killOnExit(child: ChildProcess): void {
  installExitHook();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** A new temporary directory (`recs-gateway-<name>-…`), removed when this process exits unless removed before. */
export async function makeTempDir(name: string): Promise<string> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), `recs-gateway-${name}-`));
  liveTempDirs.add(dir);
  return dir;
}

/** Creates `dir` again (after `removeTempDir`), under the same protection. */
export async function recreateTempDir(dir: string): Promise<void> {
  installExitHook();
  await mkdir(dir, { recursive: true });
  liveTempDirs.add(dir);
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  liveTempDirs.delete(dir);
}
