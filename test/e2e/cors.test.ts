import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, launchBrowser } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const enabled = browserTestsEnabled();

/** An app's page on an origin of its own (another port on loopback). */
async function startPageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server };
}

/** fetch from the page; a CORS refusal rejects with a TypeError in the browser, reported here as status 0. */
const callFrom = (page: Page, url: string, init: { method: string; headers?: Record<string, string>; body?: string }) =>
  page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, init);
        return { status: res.status, body: await res.json() };
      } catch (err) {
        return { status: 0, body: String(err) };
      }
    },
    { url, init },
  );

describe.skipIf(!enabled)('CORS_ORIGINS in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let app: { origin: string; server: Server };
  let stranger: { origin: string; server: Server };
  beforeAll(async () => {
    app = await startPageServer();
    stranger = await startPageServer();
    h = await startHarness({ env: { CORS_ORIGINS: `https://other.example.com,${app.origin}` } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    app?.server.close();
    stranger?.server.close();
  });

  const pageAt = async (origin: string) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(origin);
    return page;
  };

  it('a listed origin calls /api/v1 with its key, preflight included; an unlisted one and the admin API are refused by the browser', async () => {
    const { apiKey } = await h.user(100);
    const admin = (await h.user(0, 'admin')).apiKey;
    const submit = {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'cors-1' },
      body: JSON.stringify({ type: 'image', model: 'google/nano-banana', input: { prompt: 'from the app' } }),
    };

    const fromApp = await pageAt(app.origin);
    const submitted = await callFrom(fromApp, `${h.url}/api/v1/tasks`, submit);
    expect(submitted.status).toBe(202);
    expect((await callFrom(fromApp, `${h.url}/api/v1/credits`, { method: 'GET', headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
    const adminCall = await callFrom(fromApp, `${h.url}/api/admin/users`, { method: 'GET', headers: { authorization: `Bearer ${admin}` } });
    expect(adminCall.status).toBe(0);

    const fromStranger = await pageAt(stranger.origin);
    const refused = await callFrom(fromStranger, `${h.url}/api/v1/tasks`, { ...submit, headers: { ...submit.headers, 'idempotency-key': 'cors-2' } });
    expect(refused.status).toBe(0);
    // The refused preflight stopped the request before it was sent: still one task.
    const tasks = (await h.api(apiKey, 'GET', '/api/v1/tasks')).body.tasks;
    expect(tasks.map((t: { taskId: string }) => t.taskId)).toEqual([submitted.body.taskId]);
  });

  it('the preflight answers the listed origin only, and never allows credentials', async () => {
    const preflight = (origin: string, path = '/api/v1/tasks') =>
      fetch(h.url + path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const ok = await preflight(app.origin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(app.origin);
    expect(ok.headers.get('access-control-allow-headers')).toContain('settle-user');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    for (const [origin, path] of [[stranger.origin, '/api/v1/tasks'], [app.origin, '/api/admin/users']] as const) {
      const res = await preflight(origin, path);
      expect(res.headers.get('access-control-allow-origin'), `${origin} ${path}`).toBeNull();
    }
  });
});
