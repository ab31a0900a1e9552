import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyRule = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | Promise<boolean>;

export interface Proxy {
  url: string;
  /** Every request that reached the proxy, as "METHOD /path". */
  seen: string[];
  close(): Promise<void>;
}

/**
 * A reverse proxy in front of the server: each request goes to the first rule that handles it (answering itself,
 * or cutting the connection), else it is forwarded as it is. Stands in for the corporate proxies and load
 * balancers that block or cut event streams.
 */
export async function startProxy(target: string, rules: ProxyRule[] = []): Promise<Proxy> {
  const seen: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    seen.push(`${req.method} ${req.url}`);
    for (const rule of rules) if (await rule(req, res, body)) return;
    await forward(target, req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export async function forward(target: string, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<Response> {
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection' && typeof req.headers[k] === 'string')) as Record<string, string>;
  const upstream = await fetch(target + req.url, { method: req.method, headers, body: body.length > 0 ? new Uint8Array(body) : undefined });
  const out = Buffer.from(await upstream.arrayBuffer());
  res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
  res.end(out);
  return upstream;
}

/**
 * Answers an event stream request with the server's first event only, then cuts the connection, as a load balancer
 * with a short timeout would. Resolves with that event's id.
 */
export async function passFirstEventThenCut(target: string, req: IncomingMessage, res: ServerResponse): Promise<string> {
  const upstream = await fetch(target + req.url, { headers: { authorization: req.headers.authorization! } });
  const reader = upstream.body!.getReader();
  let text = '';
  while (!/id: \d+\n[^]*?\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  await new Promise<void>((resolve) => res.write(text, () => resolve()));
  // Cut once the client has had time to read the event (destroying at once would discard the unsent bytes).
  setTimeout(() => res.socket!.destroy(), 100);
  return /id: (\d+)/.exec(text)![1]!;
}
