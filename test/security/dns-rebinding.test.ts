/**
 * DNS rebinding: without authentication the gateway listens on loopback, and a page the developer visits could
 * re-resolve its own name to 127.0.0.1 and read the API as same-origin. Such requests carry the page's name in
 * `Host`, so a gateway without auth answers only loopback names; with auth, or with ALLOW_UNAUTHENTICATED=true, the
 * `Host` header is nobody's business but the client's.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.js';
import type { InProcessGateway } from '../support/gateway.js';
import { READ_QUERY, SECRET, bearerToken } from './helpers.js';

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

const JSON_ACCEPT = 'application/graphql-response+json, application/json';

/** One request with the given `Host` (fetch will not let a test choose it). */
function send(
  gateway: InProcessGateway,
  options: {
    host: string;
    method?: 'GET' | 'POST';
    path?: string;
    accept?: string;
    body?: string;
    authorization?: string;
  },
): Promise<Answer> {
  const { hostname, port } = new URL(gateway.origin);
  const headers: Record<string, string> = { host: options.host, accept: options.accept ?? JSON_ACCEPT };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { hostname, port, method: options.method ?? 'GET', path: options.path ?? '/graphql', headers },
      (incoming) => {
        let body = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (body += chunk));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, contentType: incoming.headers['content-type'] ?? '', body }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

const readBody = JSON.stringify({ query: READ_QUERY, variables: { userId: 'u42', first: 3 } });

function readOf(answer: Answer): { data?: { recommendations?: { userId: string } }; errors?: unknown[] } {
  return JSON.parse(answer.body) as { data?: { recommendations?: { userId: string } }; errors?: unknown[] };
}

describe('without authentication, on loopback', () => {
  let gateway: InProcessGateway;
  let port: string;
  beforeAll(async () => {
    gateway = await startGateway();
    port = new URL(gateway.origin).port;
  });
  afterAll(() => gateway.close());

  it('refuses a GraphQL request for another host with 403 and HOST_NOT_ALLOWED, before any work', async () => {
    const answer = await send(gateway, { host: 'evil.example', method: 'POST', body: readBody });
    expect(answer.status).toBe(403);
    expect(answer.contentType).toBe('application/graphql-response+json; charset=utf-8');
    const result = readOf(answer);
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([
      { message: expect.stringMatching(/without authentication/) as unknown, extensions: { code: 'HOST_NOT_ALLOWED' } },
    ]);
  });

  it.each(['evil.example:PORT', 'localhost.evil.example:PORT', '127.0.0.1.evil.example:PORT'])(
    'refuses Host %s, the rebound name with the gateway port',
    async (host) => {
      const answer = await send(gateway, { host: host.replace('PORT', port), method: 'POST', body: readBody });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('HOST_NOT_ALLOWED');
    },
  );

  it.each(['localhost:PORT', '127.0.0.1:PORT', '[::1]:PORT', 'app.localhost:PORT', 'LOCALHOST'])(
    'answers Host %s',
    async (host) => {
      const answer = await send(gateway, { host: host.replace('PORT', port), method: 'POST', body: readBody });
      expect(answer.status).toBe(200);
      expect(readOf(answer).data?.recommendations?.userId).toBe('u42');
    },
  );

  it.each([
    ['the IDE page', '/graphql', 'text/html'],
    ['/metrics', '/metrics', '*/*'],
    ['/healthz', '/healthz', '*/*'],
    ['/readyz', '/readyz', '*/*'],
    ['an unknown path', '/nowhere', '*/*'],
  ])('refuses %s for another host, as text', async (_name, path, accept) => {
    const answer = await send(gateway, { host: 'evil.example', path, accept });
    expect(answer.status).toBe(403);
    expect(answer.contentType).toBe('text/plain; charset=utf-8');
    expect(answer.body).toMatch(/localhost/);
  });

  it('still serves /healthz and /metrics to localhost', async () => {
    expect((await send(gateway, { host: `localhost:${port}`, path: '/healthz' })).status).toBe(200);
    expect((await send(gateway, { host: `127.0.0.1:${port}`, path: '/metrics', accept: '*/*' })).status).toBe(200);
  });
});

describe('the Host header is not checked', () => {
  it('with authentication configured', async () => {
    const gateway = await startGateway({ AUTH_JWT_SECRET: SECRET });
    try {
      const authorization = await bearerToken(SECRET, 'u42');
      const answer = await send(gateway, { host: 'evil.example', method: 'POST', body: readBody, authorization });
      expect(answer.status).toBe(200);
      expect(readOf(answer).data?.recommendations?.userId).toBe('u42');
      expect((await send(gateway, { host: 'evil.example', path: '/healthz' })).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('with ALLOW_UNAUTHENTICATED=true, even bound to loopback', async () => {
    const gateway = await startGateway({ ALLOW_UNAUTHENTICATED: 'true' });
    try {
      const answer = await send(gateway, { host: 'evil.example', method: 'POST', body: readBody });
      expect(answer.status).toBe(200);
      expect(readOf(answer).data?.recommendations?.userId).toBe('u42');
      expect((await send(gateway, { host: 'evil.example', path: '/healthz' })).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
