import type { FastifyInstance } from 'fastify';
import type { RequestMetrics } from '../telemetry/request-metrics.js';
import { existingRecordOf } from './request-log.js';

/**
 * Observes every GraphQL request once its response is sent, with what its record says (operation type, outcome,
 * error codes): the fast path and Apollo fill the same record, so both are counted by this one hook. A request
 * refused before GraphQL saw it (a body that is not JSON, too large, the wrong media type) is `none`/`rejected`;
 * the IDE page is not a GraphQL request and is not counted.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: RequestMetrics, graphqlPath: string): void {
  // A callback-style hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    if (request.routeOptions.url === graphqlPath) {
      const record = existingRecordOf(request);
      const seconds = reply.elapsedTime / 1000;
      if (record?.outcome !== undefined) {
        metrics.request(record.operationType ?? 'none', record.outcome, seconds);
        if (record.errorCodes !== undefined && record.errorCodes.length > 0) metrics.errors(record.errorCodes);
      } else if (reply.statusCode >= 400) {
        metrics.request('none', 'rejected', seconds);
      }
    }
    done();
  });
}
