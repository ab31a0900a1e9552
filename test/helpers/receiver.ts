import { createServer, type Server } from 'node:http';

export interface Received {
  path: string;
  body: any;
}

export interface HttpReceiver {
  url: string;
  received: Received[];
  /** Answer this status (e.g. 500) to the next n requests, then 200 again. */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

/** A real HTTP server on loopback standing in for Slack's or Discord's incoming-webhook endpoint. */
export async function startReceiver(delayMs = 0): Promise<HttpReceiver> {
  const received: Received[] = [];
  let failures = 0;
  let failStatus = 500;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d));
    req.on('end', () => {
      setTimeout(() => {
        if (failures > 0) {
          failures--;
          res.writeHead(failStatus).end('failing on purpose');
          return;
        }
        received.push({ path: req.url ?? '/', body: raw ? JSON.parse(raw) : undefined });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext(n, status = 500) {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
