import { createParser, type ServerSentEvent } from '../../src/client/index.js';

/** An open GET /api/v1/tasks/:taskId/events read with plain fetch: its events as they arrive, and the raw text. */
export interface StreamReader {
  status: number;
  headers: Headers;
  events: (ServerSentEvent & { receivedAt: number })[];
  raw: string;
  /** Resolves when the server ends the stream (or it is closed). */
  ended: Promise<void>;
  close(): void;
}

export async function openEventStream(baseUrl: string, key: string, taskId: string, lastEventId?: string): Promise<StreamReader> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}/api/v1/tasks/${taskId}/events`, {
    headers: { authorization: `Bearer ${key}`, ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
    signal: abort.signal,
  });
  const reader: StreamReader = { status: res.status, headers: res.headers, events: [], raw: '', ended: Promise.resolve(), close: () => abort.abort() };
  if (!res.body || !res.ok) return reader;
  const parser = createParser();
  const decoder = new TextDecoder();
  reader.ended = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        reader.raw += text;
        for (const event of parser.push(text)) reader.events.push({ ...event, receivedAt: Date.now() });
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  return reader;
}

export const taskOf = (event: ServerSentEvent): { status: string; progress: number; assetUrl?: string } => JSON.parse(event.data);
