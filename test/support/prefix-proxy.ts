import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PrefixProxy {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** Every path the proxy was asked for, as the browser sent it. */
  readonly paths: string[];
  close(): Promise<void>;
}

/**
 * A minimal reverse proxy that mounts `upstream` under `prefix` (`/prefix/graphql` → `/graphql`), as an ingress with
 * a path rule does. Anything outside the prefix is a 404 from the proxy itself, so a page that used an absolute URL
 * breaks visibly. Bodies and headers (compression included) pass through untouched.
 */
export async function startPrefixProxy(upstream: string, prefix: string): Promise<PrefixProxy> {
  const target = new URL(upstream);
  const paths: string[] = [];
  const server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    paths.push(path);
    if (!path.startsWith(`${prefix}/`)) {
      outgoing.writeHead(404, { 'content-type': 'text/plain' }).end(`outside ${prefix}/`);
      return;
    }
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: path.slice(prefix.length),
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
