import { afterEach, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import { createKieProvider, createReplicateProvider } from '../../src/providers/index.js';
import { PROVIDER_ANSWER_MAX_BYTES } from '../../src/providers/http.js';
import { providerError, startRawServer, type TestServer, videoRequest } from './helpers.js';

const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

interface Sent {
  bytes: number;
  /** The client closed the connection before the whole answer was written. */
  cutOff: boolean;
}

/** More than the cap by far more than loopback's socket buffers hold, so a reader that stops leaves most unsent. */
const ANSWER_BYTES = PROVIDER_ANSWER_MAX_BYTES + 48 * 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 'x');

/**
 * A provider whose answers are valid JSON of ANSWER_BYTES: a well-formed answer with a huge string field, written
 * piece by piece with backpressure, so the server sees whether the client read it all.
 */
async function hugeAnswers(answer: object): Promise<{ url: string; sent: Sent[] }> {
  const sent: Sent[] = [];
  const [head, tail] = JSON.stringify({ ...answer, pad: '' }).split('"pad":""').map((part, i) => (i === 0 ? `${part}"pad":"` : `"${part}`));
  const server = await startRawServer((req, res) => {
    req.resume();
    const record: Sent = { bytes: 0, cutOff: false };
    sent.push(record);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', () => (record.cutOff = !res.writableFinished));
    void writeAnswer(res, [head!, tail!], record);
  });
  running.push(server);
  return { url: server.url, sent };
}

async function writeAnswer(res: ServerResponse, [head, tail]: [string, string], record: Sent): Promise<void> {
  const write = async (piece: Buffer | string) => {
    record.bytes += piece.length;
    if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
  };
  await write(head);
  while (record.bytes < ANSWER_BYTES - tail.length && !res.destroyed) await write(PIECE);
  if (!res.destroyed) res.end(tail);
}

describe('a provider API answer larger than PROVIDER_ANSWER_MAX_BYTES', () => {
  it('KIE: createTask fails in doubt and the connection is cut, though the envelope is well formed', async () => {
    const { url, sent } = await hugeAnswers({ code: 200, msg: 'success', data: { taskId: 'abc' } });
    const kie = createKieProvider({ baseUrl: url, apiKey: 'sk-test', requestTimeoutMs: 60_000 });

    const err = await providerError(kie.submit(videoRequest()));
    expect(err).toMatchObject({ kind: 'transient', code: 'invalid_response', inDoubt: true });
    expect(err.message).toContain(`more than ${PROVIDER_ANSWER_MAX_BYTES} bytes`);
    await expect.poll(() => sent[0]?.cutOff).toBe(true);
    expect(sent[0]!.bytes).toBeLessThan(ANSWER_BYTES);
  });

  it('KIE: a status check fails as transient', async () => {
    const { url } = await hugeAnswers({ code: 200, message: 'success', data: { taskId: 'abc', state: 'waiting' } });
    const kie = createKieProvider({ baseUrl: url, apiKey: 'sk-test', requestTimeoutMs: 60_000 });

    const err = await providerError(kie.status('abc'));
    expect(err).toMatchObject({ kind: 'transient', code: 'invalid_response' });
  });

  it('Replicate: a prediction answer is cut off the same way', async () => {
    const { url, sent } = await hugeAnswers({ id: 'p1', status: 'starting' });
    const replicate = createReplicateProvider({ baseUrl: url, apiToken: 'r8-test', requestTimeoutMs: 60_000 });

    const err = await providerError(replicate.submit({ taskId: 't1', model: 'black-forest-labs/flux-schnell', input: { prompt: 'a cat' } }));
    expect(err).toMatchObject({ kind: 'transient', code: 'invalid_response', inDoubt: true });
    await expect.poll(() => sent[0]?.cutOff).toBe(true);
  });
});
