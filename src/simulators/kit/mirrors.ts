import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Extra listeners on other addresses of this machine (a `resultHost` such as 127.0.0.2), answering with the same
 * routes on the same port, so a result URL that names another host still downloads.
 */
export function createMirrors(app: FastifyInstance, listeningHost: string) {
  const servers = new Map<string, Server>();
  const needed = (host: string | null): host is string =>
    host !== null && isIP(host) !== 0 && host !== listeningHost && !['0.0.0.0', '::'].includes(listeningHost) && !servers.has(host);

  return {
    /** Listens on `host` unless it is a name (resolved by the client) or already served. */
    async serve(host: string | null, port: number): Promise<void> {
      if (!needed(host)) return;
      const server = createServer((request, response) => app.server.emit('request', request, response));
      servers.set(host, server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
      }).catch((err: NodeJS.ErrnoException) => {
        servers.delete(host);
        throw new Error(`resultHost: cannot serve files on ${host}:${port} (${err.code ?? err.message})`);
      });
    },
    async close(): Promise<void> {
      await Promise.all(
        [...servers.values()].map((server) => {
          server.closeAllConnections();
          return new Promise((resolve) => server.close(resolve));
        }),
      );
    },
  };
}
