import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

/** The seeds' clients as they are written: whatever Content-Type they send, bodiless POSTs, three poll states. */
describe('seed clients work as written', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [1500, 2000] }, env: { SESSION_SECRET: 'seed-clients-session-secret-0123456789' } });
  });
  afterAll(() => h.close());

  const raw = (key: string | undefined, method: string, path: string, body: string | undefined, headers: Record<string, string>) =>
    fetch(h.url + path, { method, headers: { ...(key && { authorization: `Bearer ${key}` }), ...headers }, body });

  it('a JSON body is read whatever the Content-Type says', async () => {
    const { apiKey } = await h.user(1000);
    const body = JSON.stringify({ prompt: 'a kite', model: 'sora-2-text-to-video' });
    for (const contentType of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=utf-8']) {
      const res = await raw(apiKey, 'POST', '/api/v1/generate-video', body, { 'content-type': contentType });
      expect(res.status, contentType).toBe(202);
    }
    const noType = await fetch(`${h.url}/api/v1/generate-video`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: new Blob([body]) });
    expect(noType.status).toBe(202);
    const broken = await raw(apiKey, 'POST', '/api/v1/generate-video', '{"prompt":', { 'content-type': 'text/plain' });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.code).toBe('invalid_request');
  });

  it('a bodiless POST with Content-Type: application/json is no body (the replicate client cancels so)', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ hangRate: 1 });
    const { taskId } = await (await raw(apiKey, 'POST', '/api/v1/generate-image', JSON.stringify({ prompt: 'stop me' }), { 'content-type': 'application/json' })).json();
    h.sim.setFaults({ hangRate: 0 });
    const canceled = await raw(apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`, undefined, { 'content-type': 'application/json' });
    expect(canceled.status).toBe(200);
    expect(await canceled.json()).toEqual({ taskId, status: 'canceled', creditsRefunded: 4 });
    // A route that needs a body says which field is missing, never a 5xx.
    const empty = await raw(apiKey, 'POST', '/api/v1/tasks', '', { 'content-type': 'application/json' });
    expect(empty.status).toBe(400);
    expect((await empty.json()).error.message).toMatch(/^body\.type: /);
    // So does an admin route whose fields are all optional: no body is {}.
    const admin = (await h.user(0, 'admin')).apiKey;
    expect((await raw(admin, 'POST', '/api/admin/jobs/cleanup', undefined, { 'content-type': 'application/json' })).status).toBe(200);
  });

  it('video-status keeps the seed\'s three states: pending shows as processing, canceled as failed with error "canceled"', async () => {
    const { apiKey } = await h.user(100);
    h.sim.setFaults({ hangRate: 1 });
    const { taskId } = (await h.api(apiKey, 'POST', '/api/v1/generate-video', { prompt: 'never ends' })).body;
    h.sim.setFaults({ hangRate: 0 });
    expect((await h.api(apiKey, 'GET', `/api/v1/video-status/${taskId}`)).body).toEqual({ status: 'processing', progress: expect.any(Number) });
    await h.api(apiKey, 'POST', `/api/v1/tasks/${taskId}/cancel`);
    expect((await h.api(apiKey, 'GET', `/api/v1/video-status/${taskId}`)).body).toEqual({ status: 'failed', progress: expect.any(Number), error: 'canceled' });

    const done = (await h.api(apiKey, 'POST', '/api/v1/generate-video', { prompt: 'ends' })).body.taskId;
    const final = await waitFor('completed', async () => {
      const s = (await h.api(apiKey, 'GET', `/api/v1/video-status/${done}`)).body;
      return s.status === 'completed' && s;
    });
    expect(final).toEqual({ status: 'completed', progress: 100, videoUrl: expect.stringMatching(/\/assets\//) });
  });

  it('a cookie-authenticated text/plain POST still passes the Origin and Sec-Fetch-Site checks', async () => {
    const user = await h.user(100);
    const login = await fetch(`${h.url}/playground/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ apiKey: user.apiKey }).toString(),
      redirect: 'manual',
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const body = JSON.stringify({ prompt: 'from a page' });
    const post = (headers: Record<string, string>) => raw(undefined, 'POST', '/api/v1/generate-image', body, { cookie, 'content-type': 'text/plain;charset=UTF-8', ...headers });
    // Settle nothing in the background while rows are counted.
    h.sim.setFaults({ hangRate: 1 });
    try {
      const before = await tableCounts(h.system.db, user.userId);
      for (const headers of <Record<string, string>[]>[
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
        {},
      ]) {
        const res = await post(headers);
        expect(res.status, JSON.stringify(headers)).toBe(403);
      }
      expect(await tableCounts(h.system.db, user.userId)).toEqual(before);
      // What a browser sends for the page's own fetch: the browser vouches for the origin, so no token is needed.
      expect((await post({ origin: h.url, 'sec-fetch-site': 'same-origin' })).status).toBe(202);
    } finally {
      h.sim.setFaults({ hangRate: 0 });
    }
  });
});
