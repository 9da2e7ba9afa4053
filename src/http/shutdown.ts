import type { FastifyInstance } from 'fastify';

export interface DrainResult {
  /** True when every in-flight request finished within the drain time; false when their connections were cut. */
  readonly drained: boolean;
  readonly elapsedMs: number;
}

/**
 * Makes connections end with their in-flight response once the server is closing. Without it a kept-alive
 * connection (Fastify keeps them 72 s) would outlive its last response idle, and hold the drain open until the
 * drain time cuts it: `Connection: close` lets a drained server close as soon as its last request is answered.
 */
export function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback-style hook: it runs on every response, and an async one costs a promise and a microtask each.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * Closes the HTTP server the way SIGTERM should: stop accepting at once (the listening socket closes, so new
 * connections are refused; Fastify answers 503 to a new request on a kept-alive connection and closes idle ones),
 * let in-flight requests finish, and after `drainMs` cut the connections of those still running, so a stuck
 * request cannot hold a deploy hostage. Resolves once the server is closed either way.
 */
export async function drainAndClose(http: FastifyInstance, drainMs: number): Promise<DrainResult> {
  const started = Date.now();
  const closing = http.close();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), drainMs);
  });
  const outcome = await Promise.race([closing.then(() => 'drained' as const), expired]);
  clearTimeout(timer);
  if (outcome === 'expired') {
    http.server.closeAllConnections();
    await closing;
  }
  return { drained: outcome === 'drained', elapsedMs: Date.now() - started };
}

/** Waits for `work` to settle, but at most `ms`: resolves true when it settled in time. Never rejects. */
export async function settleWithin(work: ReadonlyArray<Promise<unknown>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled(work).then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
