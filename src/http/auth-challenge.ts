import type { FastifyInstance } from 'fastify';

/** The protection space named in every challenge (RFC 9110 section 11.5). */
export const REALM = 'recs-gateway';

/**
 * The `WWW-Authenticate` value for a 401 (RFC 6750 section 3). A request that sent no bearer credentials at all (no
 * `Authorization` header, or another scheme such as Basic) gets the bare challenge, without an error code, as the RFC
 * asks; one that sent a bearer token the gateway refused (expired, forged, malformed) gets `error="invalid_token"`,
 * which tells a client library to obtain a new token rather than retry. Why the token was refused stays in the body's
 * generic message and the server's log, never in the header.
 */
export function bearerChallenge(authorization: string | undefined): string {
  const sentBearer = authorization !== undefined && /^bearer(\s|$)/i.test(authorization);
  return sentBearer ? `Bearer realm="${REALM}", error="invalid_token"` : `Bearer realm="${REALM}"`;
}

/**
 * Every 401, whoever produced it (Apollo refusing the context, or any later route), carries a challenge: HTTP
 * requires one (RFC 9110 section 15.5.2), and clients and proxies key their token refresh on it.
 */
export function registerAuthChallenge(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 401) void reply.header('www-authenticate', bearerChallenge(request.headers.authorization));
    return payload;
  });
}
