import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface WebhookDelivery {
  headers: IncomingHttpHeaders;
  /** The body exactly as received: signatures cover these bytes. */
  raw: string;
  /** What the receiver answered; 0 while (or if) it never answered. */
  answered: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, in arrival order, whatever it was answered. */
  deliveries: WebhookDelivery[];
  /** The deliveries answered 2xx: the ones the sender counts as delivered. */
  accepted(): WebhookDelivery[];
  /** Answer this status to the next n requests (Infinity: until told otherwise), then 200 again. */
  answerNext(n: number, status: number): void;
  /** Never answer the next n requests: the sender's own timeout has to end them. */
  holdNext(n: number): void;
  close(): Promise<void>;
}

/** A real HTTP server on loopback standing in for an app's webhook endpoint; it records headers and raw bodies. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: WebhookDelivery[] = [];
  let failing = 0;
  let failStatus = 500;
  let holding = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const delivery: WebhookDelivery = { headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), answered: 0 };
      deliveries.push(delivery);
      if (holding > 0) {
        holding--;
        return;
      }
      delivery.answered = failing > 0 ? failStatus : 200;
      if (failing > 0) failing--;
      res.writeHead(delivery.answered, { 'content-type': 'text/plain' }).end(delivery.answered === 200 ? 'ok' : 'failing on purpose');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/settle`,
    deliveries,
    accepted: () => deliveries.filter((d) => d.answered >= 200 && d.answered < 300),
    answerNext(n, status) {
      failing = n;
      failStatus = status;
    },
    holdNext(n) {
      holding = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
