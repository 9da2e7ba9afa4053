/**
 * Child-side plumbing shared by the server entries: report readiness and stats over IPC, exit with the parent,
 * and exit at once on SIGTERM.
 *
 * Why not a graceful close: @apollo/server 5.5.1 registers its own SIGTERM handler outside NODE_ENV=test, and a
 * second ApolloServer.stop() that starts while the first is still draining waits on a barrier that is never
 * resolved on the success path, so `app.close()` from our own handler can hang forever. Nothing is left to drain
 * here anyway, and process.exit() still lets `--cpu-prof` write its profile.
 */
import { performance } from 'node:perf_hooks';
import { isParentMessage } from './protocol.js';
import type { ChildMessage, ServerStats, TelemetryCounters } from './protocol.js';

export interface ChildServer {
  readonly url: string;
}

/** Reads the server's telemetry counters; undefined where there are none (the baseline). */
export type CounterSource = () => Promise<TelemetryCounters | undefined>;

function send(message: ChildMessage): void {
  if (process.send === undefined) throw new Error('bench server entries must be spawned with an IPC channel');
  process.send(message);
}

/** Runs a server inside a bench child process until the parent stops it (SIGTERM) or goes away. */
export async function serveAsBenchChild(
  start: () => Promise<ChildServer>,
  counters: CounterSource = async () => undefined,
): Promise<void> {
  // Without a parent there is nobody to stop us: exit rather than linger (e.g. the bench process was SIGKILLed).
  process.on('disconnect', () => process.exit(0));
  const server = await start();

  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));

  process.on('message', (message: unknown) => {
    if (!isParentMessage(message)) return;
    // CPU and event-loop figures first, so reading the counters is not charged to the run.
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const atMs = performance.now();
    // After the CPU figures, so a collection asked for is not charged to them.
    if (message.collect === true) globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    void counters().then((telemetry) => {
      const stats: ServerStats = {
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        eluIdleMs: elu.idle,
        eluActiveMs: elu.active,
        atMs,
        rssBytes: rss,
        heapUsedBytes: heapUsed,
        telemetry,
      };
      send({ type: 'stats', id: message.id, stats });
    });
  });
  send({ type: 'ready', url: server.url });
}
