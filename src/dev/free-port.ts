import { createServer } from 'node:net';

const MAX_ATTEMPTS = 20;

// A server that is down between kill() and restart() does not hold its port, so the kernel
// could hand the same port to the next caller; remembering what this process gave out
// keeps two harness servers in one test worker from ever being assigned the same port.
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Another process can still grab it
 * before the caller binds it, so callers that spawn servers should retry on EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await bindEphemeralPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: no port that was not already handed out after ${MAX_ATTEMPTS} attempts`);
}

function bindEphemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected listen address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
