import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface TcpTap {
  readonly port: number;
  /** Everything clients have sent through the tap so far, as latin1 text (RESP commands read as they were sent). */
  sent(): string;
  close(): Promise<void>;
}

/**
 * A TCP relay to `127.0.0.1:targetPort` that records what clients send: a test can wait until a request has reached
 * the dependency (its key shows in the bytes) rather than for a fixed time. Bytes pass through untouched.
 */
export async function startTcpTap(targetPort: number): Promise<TcpTap> {
  let sent = '';
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      sent += chunk.toString('latin1');
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
