/**
 * The reference model server for tests: in-process (with a counting model and a chaos hook, the way bentocache's
 * ChaosCache wraps a real driver) or as its own process (`src/dev/model-server-process.ts`, shared with bench/).
 */
import type { FastifyRequest } from 'fastify';
import { BuiltinModel } from '../../src/model/builtin-model.js';
import { createModelServer, STATS_PATH } from '../../src/model/server/model-server.js';
import { CountingModel } from './models.js';

export { startModelServerProcess } from '../../src/dev/model-server-process.js';
export type { ModelServerProcess } from '../../src/dev/model-server-process.js';

/** What a chaos hook may answer instead of the real server; undefined lets the request through. */
export interface FaultReply {
  readonly status: number;
  /** Sent as is (so it may be malformed JSON). */
  readonly body: string;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

export type Fault = (request: FastifyRequest) => Promise<FaultReply | undefined> | FaultReply | undefined;

export interface InProcessModelServer {
  readonly url: string;
  readonly port: number;
  /** Counts scoreAndRank calls on the server side: one per rank request that reached the model. */
  readonly model: CountingModel;
  /** Requests that reached the server under /v1/ (faulted or not), by path. */
  readonly requests: Map<string, number>;
  /** Sets (or clears, with undefined) the chaos hook. */
  fault(fault: Fault | undefined): void;
  close(): Promise<void>;
}

export async function startModelServer(
  options: { version?: string; latencyMs?: number; port?: number } = {},
): Promise<InProcessModelServer> {
  const model = new CountingModel(new BuiltinModel({ version: options.version ?? 'v1' }));
  const server = await createModelServer({ model, latencyMs: options.latencyMs ?? 0, logLevel: 'silent' });
  const requests = new Map<string, number>();
  let current: Fault | undefined;
  server.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/v1/') || path === STATS_PATH) return;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const answer = current === undefined ? undefined : await current(request);
    if (answer === undefined) return;
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    return reply.code(answer.status).type('application/json').send(answer.body);
  });
  const address = await server.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  return {
    url: address,
    port: Number(new URL(address).port),
    model,
    requests,
    fault(fault) {
      current = fault;
    },
    close: () => server.close(),
  };
}
