import { describe, expect, it } from 'vitest';
import { createParser, readServerSentEvents } from '../../src/client/index.js';

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

describe('the client SSE parser', () => {
  it('reads events split anywhere across chunks, with CRLF, CR or LF line ends, comments and multi-line data', async () => {
    const events = [];
    const text = 'retry: 2000\r\n\r\n: ping\n\nid: 1001\nevent: progress\ndata: {"a":\ndata: 1}\r\rid: 2100\nevent: completed\ndata: done\n\n';
    const bytes = [...text];
    for await (const e of readServerSentEvents(streamOf(...bytes))) events.push(e);
    expect(events).toEqual([
      { event: 'progress', data: '{"a":\n1}', id: '1001', retry: 2000 },
      { event: 'completed', data: 'done', id: '2100', retry: 2000 },
    ]);
  });

  it('keeps the last id for later events, and drops an event cut off by the end of the stream', async () => {
    const events = [];
    for await (const e of readServerSentEvents(streamOf('id: 7\ndata: a\n\ndata: b\n\ndata: never finished'))) events.push(e);
    expect(events).toEqual([
      { event: 'message', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
    ]);
  });

  it('a lone CR at a chunk end waits for the next chunk to know whether it starts a CRLF', () => {
    const parser = createParser();
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });
});
