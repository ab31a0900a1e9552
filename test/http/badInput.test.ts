import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/http/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, tableCounts } from '../helpers/ledger.js';

describe('bad input gets a clear 4xx JSON error and changes nothing', () => {
  let h: Harness;
  let key: string;
  let otherTaskId: string;
  beforeAll(async () => {
    // Every task here hangs: a task settling in the background would change the row counts the cases compare.
    h = await startHarness({ sim: { hangRate: 1 } });
    key = (await h.user(5)).apiKey;
    const other = await h.user(100);
    otherTaskId = (await h.api(other.apiKey, 'POST', '/api/v1/generate-image', { prompt: 'mine' })).body.taskId;
  });
  afterAll(() => h.close());

  const valid = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'ok' } };
  const cases: { name: string; method?: string; path?: string; body?: unknown; key?: string | null; headers?: Record<string, string>; status: number; code: string }[] = [
    { name: 'malformed JSON', body: '{"type": "video",', status: 400, code: 'invalid_request' },
    { name: 'wrong type for input', body: { ...valid, input: 'a prompt' }, status: 400, code: 'invalid_request' },
    { name: 'prompt is a number', body: { ...valid, input: { prompt: 42 } }, status: 400, code: 'invalid_request' },
    { name: 'unknown task type', body: { ...valid, type: 'audio' }, status: 400, code: 'invalid_request' },
    { name: 'unknown model', body: { ...valid, model: 'no-such-model' }, status: 400, code: 'invalid_request' },
    { name: 'model of the other type', body: { ...valid, model: 'google/nano-banana' }, status: 400, code: 'invalid_request' },
    { name: 'missing prompt', body: { ...valid, input: {} }, status: 400, code: 'invalid_request' },
    { name: 'blank prompt', body: { ...valid, input: { prompt: '   ' } }, status: 400, code: 'invalid_request' },
    { name: 'unknown top-level field', body: { ...valid, price: 0 }, status: 400, code: 'invalid_request' },
    { name: 'body is an array', body: [valid], status: 400, code: 'invalid_request' },
    { name: 'seed route without prompt', path: '/api/v1/generate-video', body: { model: 'sora-2-text-to-video' }, status: 400, code: 'invalid_request' },
    { name: 'oversized body', body: { ...valid, input: { prompt: 'x', pad: 'y'.repeat(BODY_LIMIT_BYTES) } }, status: 413, code: 'payload_too_large' },
    { name: 'NUL character in the prompt', body: { ...valid, input: { prompt: 'a\u0000b' } }, status: 400, code: 'invalid_request' },
    { name: 'NUL character in an input key', body: { ...valid, input: { prompt: 'ok', ['x\u0000']: 1 } }, status: 400, code: 'invalid_request' },
    { name: 'too long prompt', body: { ...valid, input: { prompt: 'p'.repeat(10_001) } }, status: 400, code: 'invalid_request' },
    { name: 'bad Idempotency-Key', body: valid, headers: { 'idempotency-key': 'has space' }, status: 400, code: 'invalid_request' },
    { name: 'missing key', body: valid, key: null, status: 401, code: 'unauthorized' },
    { name: 'bad key', body: valid, key: 'sk_settle_not-a-real-key', status: 401, code: 'unauthorized' },
    { name: 'malformed Authorization', body: valid, key: null, headers: { authorization: 'Basic abc' }, status: 401, code: 'unauthorized' },
    { name: 'insufficient credits', body: valid, status: 402, code: 'insufficient_credits' },
    { name: 'unknown route', method: 'GET', path: '/api/v1/nothing', status: 404, code: 'not_found' },
    { name: 'malformed task id', method: 'GET', path: '/api/v1/tasks/not-a-uuid', status: 404, code: 'not_found' },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}`, async () => {
      const before = await tableCounts(h.system.db);
      const res = await h.api(c.key === null ? undefined : (c.key ?? key), c.method ?? 'POST', c.path ?? '/api/v1/tasks', c.body, c.headers);
      expect(res.status).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(typeof res.body.error.message).toBe('string');
      expect(await tableCounts(h.system.db)).toEqual(before);
    });
  }

  it("another user's task is 404 to read, poll and cancel", async () => {
    const before = await tableCounts(h.system.db);
    for (const [method, path] of [
      ['GET', `/api/v1/tasks/${otherTaskId}`],
      ['GET', `/api/v1/video-status/${otherTaskId}`],
      ['POST', `/api/v1/tasks/${otherTaskId}/cancel`],
    ] as const) {
      const res = await h.api(key, method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(await tableCounts(h.system.db)).toEqual(before);
    await expectAuditClean(h.system.db);
  });
});
