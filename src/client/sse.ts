/** One dispatched server-sent event (WHATWG HTML, "Server-sent events", interpreting an event stream). */
export interface ServerSentEvent {
  event: string;
  data: string;
  /** The last event id seen on the stream so far (ids carry over to later events). */
  id: string;
  retry?: number;
}

/**
 * Reads a text/event-stream body chunk by chunk. fetch + ReadableStream work in Node 20 and browsers alike, and,
 * unlike EventSource, can send an Authorization header.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = createParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    // An event cut off by the end of the stream is discarded, as the specification says.
    yield* parser.push(decoder.decode());
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The line parser on its own: feed it text, get the events completed by it. */
export function createParser(): { push(text: string): ServerSentEvent[] } {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id = '';
  let retry: number | undefined;

  const line = (text: string, out: ServerSentEvent[]) => {
    if (text === '') {
      if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n'), id, ...(retry !== undefined && { retry }) });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  };

  return {
    push(text) {
      buffer += text;
      const out: ServerSentEvent[] = [];
      // A lone \r at the end may be the first half of \r\n: keep it until the next chunk says.
      const lines = buffer.split(/\r\n|\n|\r(?!$)/);
      buffer = lines.pop() ?? '';
      for (const l of lines) line(l, out);
      return out;
    },
  };
}
