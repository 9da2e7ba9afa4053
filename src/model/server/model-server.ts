import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { registerServerSpans } from '../../telemetry/tracing/server-spans.js';
import type { Model } from '../model.js';
import {
  PURCHASES_PATH,
  ProtocolError,
  RANK_PATH,
  REQUEST_ID_HEADER,
  VERSION_PATH,
  parsePurchaseRequest,
  parseRankRequest,
} from '../protocol.js';
import type { RankResponse, VersionResponse } from '../protocol.js';

export interface ModelServerOptions {
  /** The model served; its `currentVersion()` is the version every answer carries. */
  readonly model: Model;
  /** Artificial latency added to every rank call, so the reference server behaves like a real ranking service. */
  readonly latencyMs: number;
  /** pino level for Fastify's logger; `silent` turns it off. */
  readonly logLevel: string;
  /** With tracing on: a span per request, continuing the gateway's trace from its `traceparent`. */
  readonly tracer?: Tracer;
}

/** Counters of what the server has done since it started: `GET /v1/stats`, for tests and the benchmark. */
export interface ModelServerStats {
  readonly modelVersion: string;
  readonly rankCalls: number;
  readonly rankUsers: number;
  readonly purchases: number;
}

export const STATS_PATH = '/v1/stats';

/**
 * The reference ranking service: any `Model` (the built-in one, from `src/model-server.ts`) served over the protocol
 * in `../protocol.ts`. Returned unstarted, so a caller (or a test's chaos hook) can add hooks before `listen`.
 */
export async function createModelServer(options: ModelServerOptions): Promise<FastifyInstance> {
  const { model, latencyMs } = options;
  const stats = { rankCalls: 0, rankUsers: 0, purchases: 0 };
  // The gateway's request id becomes this server's, so a gateway log line and the model's can be matched.
  const app = Fastify({
    logger: options.logLevel === 'silent' ? false : { level: options.logLevel },
    requestIdHeader: REQUEST_ID_HEADER,
  });
  const tracer = options.tracer;
  if (tracer !== undefined) registerServerSpans(app, { tracer, skipPaths: ['/healthz', STATS_PATH] });

  app.post(RANK_PATH, async (request, reply) => {
    const parsed = parseOrReject(() => parseRankRequest(request.body), reply);
    if (parsed === undefined) return reply;
    stats.rankCalls += 1;
    stats.rankUsers += parsed.userIds.length;
    if (latencyMs > 0) await delay(latencyMs);
    const modelVersion = model.currentVersion();
    trace
      .getActiveSpan()
      ?.setAttributes({ 'recs.model.batch_size': parsed.userIds.length, 'recs.model_version': modelVersion });
    const lists =
      tracer === undefined
        ? await model.scoreAndRank(parsed.userIds, parsed.limit)
        : await tracer.startActiveSpan(
            'model score',
            { attributes: { 'recs.model.batch_size': parsed.userIds.length } },
            async (span) => {
              try {
                return await model.scoreAndRank(parsed.userIds, parsed.limit);
              } finally {
                span.end();
              }
            },
          );
    const body: RankResponse = {
      modelVersion,
      lists: lists.map((list, index) =>
        list instanceof Error
          ? { userId: parsed.userIds[index] as string, error: list.message }
          : { userId: list.userId, modelVersion: list.modelVersion, items: list.items },
      ),
    };
    return body;
  });

  app.get(VERSION_PATH, async (): Promise<VersionResponse> => ({ modelVersion: model.currentVersion() }));

  app.post(PURCHASES_PATH, async (request, reply) => {
    const parsed = parseOrReject(() => parsePurchaseRequest(request.body), reply);
    if (parsed === undefined) return reply;
    await model.recordPurchase(parsed.userId, parsed.itemId);
    stats.purchases += 1;
    return reply.code(204).send();
  });

  app.get(STATS_PATH, async (): Promise<ModelServerStats> => ({ modelVersion: model.currentVersion(), ...stats }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.addHook('onClose', async () => model.close());
  return app;
}

// Private helpers.

/** Runs a request check; on a protocol violation, answers 400 with the reason and returns undefined. */
function parseOrReject<T>(parse: () => T, reply: FastifyReply): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    void reply.code(400).send({ error: error.message });
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
