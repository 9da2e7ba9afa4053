import type { FastifyInstance } from 'fastify';
import { noteRefusal } from '../graphql/request-record.js';
import { wantsIde } from './ide.js';
import { isLoopbackHost, refuseHost } from './loopback-host.js';
import { recordOf } from './request-log.js';

/**
 * Refuses, before routing does any work, every request whose `Host` is not a loopback name (`loopback-host.ts`).
 * Registered only when authentication is off and the gateway is bound to loopback: with auth a rebound page has no
 * token, and ALLOW_UNAUTHENTICATED=true says any caller is welcome.
 *
 * `/healthz` and `/readyz` are refused too: whoever may probe a loopback-bound gateway is on this machine and says
 * `localhost` or `127.0.0.1`, and `/readyz` describes the store and the model, which a foreign page has no business
 * reading. One rule for every path leaves no path to forget.
 */
export function registerLoopbackHostGuard(app: FastifyInstance, graphqlPath: string): void {
  app.addHook('onRequest', async (request, reply) => {
    if (isLoopbackHost(request.headers.host)) return;
    const path = request.url.split('?', 1)[0];
    const graphql = path === graphqlPath && !(request.method === 'GET' && wantsIde(request.headers.accept));
    const refusal = refuseHost(graphql, request.headers.accept);
    // Counted and logged with its code, as Apollo's request errors are (`request-metrics.ts`, `request-log.ts`).
    if (refusal.code !== undefined) noteRefusal(recordOf(request), refusal.code);
    return reply.code(refusal.status).header('cache-control', 'no-store').type(refusal.contentType).send(refusal.body);
  });
}
