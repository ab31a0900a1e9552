import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedUser } from '../../src/users/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startInstance, type Instance } from '../helpers/instances.js';

const SESSION_SECRET = 'sessions-across-instances-secret-0123456789';

/** Signs in through the page's form; the cookie as a browser would send it back. */
async function signIn(base: string, path: '/admin/login' | '/playground/login', apiKey: string): Promise<string> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ apiKey }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** The CSRF token the page of that session carries. */
async function csrfToken(base: string, page: string, cookie: string): Promise<string> {
  const html = await (await fetch(base + page, { headers: { cookie } })).text();
  return /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]!;
}

async function signOut(base: string, path: '/admin/logout' | '/playground/logout', cookie: string, csrf: string): Promise<number> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf }).toString(),
    redirect: 'manual',
  });
  return res.status;
}

const status = async (base: string, path: string, cookie: string) => (await fetch(base + path, { headers: { cookie }, redirect: 'manual' })).status;

describe('sessions on several instances sharing SESSION_SECRET and one database', () => {
  let h: Harness;
  let admin: CreatedUser;
  let user: CreatedUser;
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    h = await startHarness({ env: { SESSION_SECRET } });
    admin = await h.user(0, 'admin');
    user = await h.user(100);
    [a, b] = await Promise.all([startInstance(h, { SESSION_SECRET }), startInstance(h, { SESSION_SECRET })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await h?.close();
  });

  it('a dashboard session opened on one instance works on the other; signed out on one, it is refused on both and after a restart', async () => {
    const signedOut = await signIn(a.url, '/admin/login', admin.apiKey);
    const kept = await signIn(a.url, '/admin/login', admin.apiKey);
    expect(await status(b.url, '/admin/partials/cron-jobs', signedOut)).toBe(200);

    expect(await signOut(b.url, '/admin/logout', signedOut, await csrfToken(b.url, '/admin/cron-jobs', signedOut))).toBe(303);
    expect(await status(b.url, '/admin/partials/cron-jobs', signedOut)).toBe(401);
    expect(await status(a.url, '/admin/partials/cron-jobs', signedOut)).toBe(401);
    expect(await status(a.url, '/admin/cron-jobs', signedOut)).toBe(303);

    await a.close();
    a = await startInstance(h, { SESSION_SECRET });
    expect(await status(a.url, '/admin/partials/cron-jobs', signedOut)).toBe(401);
    expect(await status(a.url, '/admin/partials/cron-jobs', kept)).toBe(200);
  });

  it('a playground session likewise: signed out on one instance, refused on the other and after a restart', async () => {
    const cookie = await signIn(a.url, '/playground/login', user.apiKey);
    expect(await status(b.url, '/api/v1/credits', cookie)).toBe(200);

    expect(await signOut(a.url, '/playground/logout', cookie, await csrfToken(a.url, '/playground', cookie))).toBe(303);
    expect(await status(a.url, '/api/v1/credits', cookie)).toBe(401);
    expect(await status(b.url, '/api/v1/credits', cookie)).toBe(401);

    await b.close();
    b = await startInstance(h, { SESSION_SECRET });
    expect(await status(b.url, '/api/v1/credits', cookie)).toBe(401);
  });
});
