import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** Path and query string, as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received: signatures cover these bytes. */
  raw: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: any;
  /** What the receiver answered; 0 while (or if) it never answered. */
  answered: number;
}

export interface Receiver {
  /** The base URL plus the path asked for. */
  url: string;
  port: number;
  /** Every request, in arrival order, whatever it was answered. */
  requests: ReceivedRequest[];
  /** The requests answered 2xx, in the order answered: the ones a sender counts as delivered. */
  received: ReceivedRequest[];
  /** Answer this status to the next n requests (Infinity: until told otherwise), then 200 again. */
  answerNext(n: number, status: number): void;
  /** Never answer the next n requests: the sender's own timeout has to end them. */
  holdNext(n: number): void;
  /** Forgets every request recorded so far. */
  clear(): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Wait this long before answering each request. */
  delayMs?: number;
  /** Appended to the URL handed out, e.g. '/hooks/settle'. */
  path?: string;
}

/**
 * A real HTTP server on loopback standing in for whatever a sender posts to: Slack's or Discord's incoming
 * webhook, an app's webhook endpoint, a provider's callback URL.
 */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const received: ReceivedRequest[] = [];
  let failing = 0;
  let failStatus = 500;
  let holding = 0;

  const answer = (request: ReceivedRequest, res: ServerResponse) => {
    request.answered = failing > 0 ? failStatus : 200;
    if (failing > 0) failing--;
    if (request.answered >= 200 && request.answered < 300) received.push(request);
    res.writeHead(request.answered, { 'content-type': 'text/plain' }).end(request.answered === 200 ? 'ok' : 'failing on purpose');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = { path: req.url ?? '/', headers: req.headers, raw, body: parsed(raw), answered: 0 };
      requests.push(request);
      if (holding > 0) {
        holding--;
        return;
      }
      setTimeout(() => answer(request, res), options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${options.path ?? ''}`,
    port,
    requests,
    received,
    answerNext(n, status) {
      failing = n;
      failStatus = status;
    },
    holdNext(n) {
      holding = n;
    },
    clear() {
      requests.length = 0;
      received.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parsed(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
