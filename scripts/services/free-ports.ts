// Ports on 127.0.0.1 that the OS hands out as free, for a server started a moment later to bind.
// Between this release and that bind another process could take a port; for test services on one
// machine that race is rare enough, and the server's start fails loudly if it is lost.
import { createServer } from 'node:net';
import type { Server } from 'node:net';

/** `n` ports free at this moment: held open together (so they differ), then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => {
      const server = createServer();
      return new Promise<Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port assigned');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** One port free at this moment. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
