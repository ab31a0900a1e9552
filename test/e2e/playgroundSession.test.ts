import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedUser } from '../../src/users/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';
import { tamperedCookie } from '../helpers/sessions.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox in the snow' } };

interface Session {
  cookie: string;
  csrf: string;
}

describe('playground sessions on the public API (no browser)', () => {
  let h: Harness;
  let user: CreatedUser;
  beforeAll(async () => {
    h = await startHarness({ env: { SESSION_SECRET: 'playground-session-secret-0123456789abcdef' } });
    user = await h.user(100);
  });
  afterAll(() => h.close());

  const signIn = async (apiKey: string, headers: Record<string, string> = {}) =>
    fetch(`${h.url}/playground/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ apiKey }).toString(),
      redirect: 'manual',
    });

  const session = async (apiKey = user.apiKey): Promise<Session> => {
    const res = await signIn(apiKey);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/playground');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^settle_playground=[^;]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0]!;
    const page = await (await fetch(`${h.url}/playground`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    return { cookie, csrf: csrf! };
  };

  const call = (s: Partial<Session>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    h.api(undefined, method, path, body, { ...(s.cookie && { cookie: s.cookie }), ...(s.csrf && { 'x-csrf-token': s.csrf }), ...headers });

  it('a user key opens a session that reads credits, models and task events, and submits with the CSRF token', async () => {
    const s = await session();
    expect(s.cookie).not.toContain(user.apiKey.slice('sk_settle_'.length));
    expect((await call(s, 'GET', '/api/v1/credits')).body).toEqual({ balance: 100, frozen: 0, available: 100 });
    expect((await call(s, 'GET', '/api/v1/models')).body.models).toContainEqual(
      expect.objectContaining({ id: 'sora-2-text-to-video', price: [{ when: { n_frames: '15' }, credits: 45 }, { credits: 30 }] }),
    );

    const submitted = await call(s, 'POST', '/api/v1/tasks', VIDEO);
    expect(submitted.status).toBe(202);
    const events = await fetch(`${h.url}/api/v1/tasks/${submitted.body.taskId}/events`, { headers: { cookie: s.cookie } });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await events.body!.cancel();
    // Settled before the next test counts rows.
    await waitFor('the task to settle', async () => (await call(s, 'GET', `/api/v1/tasks/${submitted.body.taskId}`)).body.status === 'completed');
  });

  it('refuses a state change without the CSRF token or from another origin, and changes nothing', async () => {
    const s = await session();
    const before = await tableCounts(h.system.db);
    const noToken = await call({ cookie: s.cookie }, 'POST', '/api/v1/tasks', VIDEO);
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('forbidden');
    expect((await call({ cookie: s.cookie, csrf: 'forged' }, 'POST', '/api/v1/tasks', VIDEO)).status).toBe(403);
    expect((await call(s, 'POST', '/api/v1/tasks', VIDEO, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await tableCounts(h.system.db)).toEqual(before);
    expect((await signIn(user.apiKey, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('is accepted only on the routes the playground calls, never on admin routes', async () => {
    const admin = await h.user(0, 'admin');
    const s = await session(admin.apiKey);
    expect((await call(s, 'GET', '/api/v1/credits')).status).toBe(200);
    expect((await call(s, 'GET', '/api/admin/tasks')).status).toBe(401);
    // The seeds' own front-end loop runs from a signed-in page too (DESIGN section 12): its status route takes the cookie.
    expect((await call(s, 'GET', '/api/v1/video-status/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await call(s, 'GET', '/api/admin/users')).status).toBe(401);
    // Both cookies come from the same SESSION_SECRET: renamed, an admin's playground cookie must still not open the dashboard.
    const asDashboard = { cookie: s.cookie.replace(/^settle_playground=/, 'settle_session='), csrf: s.csrf };
    expect((await call(asDashboard, 'GET', '/api/admin/cron-jobs')).status).toBe(401);
    const page = await fetch(`${h.url}/admin/cron-jobs`, { headers: { cookie: asDashboard.cookie }, redirect: 'manual' });
    expect(page.status).not.toBe(200);
  });

  it('a tampered cookie, a signed-out session and a revoked key are all refused', async () => {
    const s = await session();
    const [name, value] = s.cookie.split('=') as [string, string];
    const tampered = `${name}=${tamperedCookie(value)}`;
    expect((await call({ cookie: tampered }, 'GET', '/api/v1/credits')).status).toBe(401);

    const signOut = await fetch(`${h.url}/playground/logout`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf }).toString(),
      redirect: 'manual',
    });
    expect(signOut.status).toBe(303);
    expect((await call(s, 'GET', '/api/v1/credits')).status).toBe(401);

    const other = await h.user(50);
    const live = await session(other.apiKey);
    expect((await call(live, 'GET', '/api/v1/credits')).status).toBe(200);
    await h.system.db.query('UPDATE api_keys SET revoked_at = now() WHERE user_id = $1', [other.userId]);
    // Exactly as for the key itself on user routes: at once, or within the API-key cache's lifetime where one runs.
    await waitFor('the revoked key to be refused', async () => (await call(live, 'GET', '/api/v1/credits')).status === 401, 15_000, 250);
    const page = await (await fetch(`${h.url}/playground`, { headers: { cookie: live.cookie } })).text();
    expect(page).toContain('id="sign-in-form"');
    expect(page).toContain('its key was revoked');
  });

  it('a wrong key does not sign in', async () => {
    const res = await signIn('sk_settle_not-a-real-key');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('That API key is not valid');
  });
});
