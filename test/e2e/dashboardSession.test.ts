import { fastifyCookie } from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSessions, CSRF_HEADER, requireAdminOrSession, SESSION_COOKIE, type SessionKind, type Sessions } from '../../src/http/auth/index.js';
import { registerErrorHandling } from '../../src/http/errors.js';
import { createLogger } from '../../src/log/index.js';
import { authenticateApiKey, createUser, type CreatedUser, type Principal } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { openSession, SESSION_COOKIE_NAMES, startSessionApp, tamperedCookie, type SessionApp } from '../helpers/sessions.js';

const HOUR = 3_600_000;
const SECRET = 'a-test-secret-that-is-long-enough-0123';
const logger = createLogger('silent');

const sessionApp = (db: TestDatabase['db'], principal: Principal, apiKey: string, secret = SECRET) => startSessionApp(db, principal, apiKey, secret);

async function read(s: SessionApp, kind: SessionKind, value: string) {
  return (await s.app.inject({ method: 'GET', url: `/read/${kind}`, cookies: { [SESSION_COOKIE_NAMES[kind]]: value } })).json().claims;
}

describe('session cookies (encrypted by @fastify/secure-session, sign-outs in the database)', () => {
  let database: TestDatabase;
  let admin: CreatedUser;
  let principal: Principal;
  let s: SessionApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await createUser(database.db, { email: 'cookie-admin@example.com', role: 'admin' });
    principal = (await authenticateApiKey(database.db, admin.apiKey))!;
    s = await sessionApp(database.db, principal, admin.apiKey);
  });
  afterEach(() => vi.useRealTimers());
  afterAll(async () => {
    await s?.app.close();
    await database?.drop();
  });

  it('opens what it issued until it expires, HttpOnly, SameSite=Strict, Path=/, and nothing else', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const now = Date.now();
    const { claims, value, setCookie } = await openSession(s, 'dashboard');
    expect(setCookie).toMatch(/^settle_session=[^;]+; Max-Age=3600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    expect(claims.exp - Math.floor(now / 1000)).toBe(3600);
    expect(JSON.stringify(claims)).not.toContain(admin.apiKey);
    expect(await read(s, 'dashboard', value)).toEqual(claims);
    vi.setSystemTime(now + HOUR - 2000);
    expect(await read(s, 'dashboard', value)).toEqual(claims);
    vi.setSystemTime(now + HOUR + 1000);
    expect(await read(s, 'dashboard', value)).toBeNull();
    vi.useRealTimers();

    expect(await read(s, 'dashboard', decodeURIComponent(tamperedCookie(encodeURIComponent(value))))).toBeNull();
    for (const garbage of ['garbage', 'e30;AAAA', '']) expect(await read(s, 'dashboard', garbage)).toBeNull();
    const other = await sessionApp(database.db, principal, admin.apiKey, 'another-secret-entirely-0123456789abcd');
    expect(await read(other, 'dashboard', value)).toBeNull();
    await other.app.close();
  });

  it('keeps the playground key inside the encryption; neither kind opens as the other', async () => {
    const playground = await openSession(s, 'playground');
    expect(playground.value).not.toContain(admin.apiKey.slice('sk_settle_'.length));
    expect(Buffer.from(playground.value.split(';')[0]!, 'base64').toString('latin1')).not.toContain(admin.apiKey.slice('sk_settle_'.length));
    expect((await read(s, 'playground', playground.value)).key).toBe(admin.apiKey);
    const dashboard = await openSession(s, 'dashboard');
    // Renamed, each cookie is offered to the other kind: a different key, so it does not open.
    expect(await read(s, 'dashboard', playground.value)).toBeNull();
    expect(await read(s, 'playground', dashboard.value)).toBeNull();
  });

  it('a sign-out holds in every app on the database, also one started afterwards; other sessions stay', async () => {
    const a = await openSession(s, 'dashboard');
    const b = await openSession(s, 'dashboard');
    const elsewhere = await sessionApp(database.db, principal, admin.apiKey);
    expect(await read(elsewhere, 'dashboard', a.value)).toEqual(a.claims);

    const closed = await s.app.inject({ method: 'POST', url: '/close/dashboard', cookies: { settle_session: a.value } });
    expect(closed.json()).toEqual({ closed: true });
    expect(closed.cookies.find((c) => c.name === SESSION_COOKIE)).toMatchObject({ value: '', maxAge: 0 });
    expect(await read(s, 'dashboard', a.value)).toBeNull();
    expect(await read(elsewhere, 'dashboard', a.value)).toBeNull();
    const restarted = await sessionApp(database.db, principal, admin.apiKey);
    expect(await read(restarted, 'dashboard', a.value)).toBeNull();
    expect(await read(restarted, 'dashboard', b.value)).toEqual(b.claims);
    await Promise.all([elsewhere.app.close(), restarted.app.close()]);
  });

  it('a sign-out prunes the sign-outs of sessions that have expired since', async () => {
    await database.db.query(`INSERT INTO revoked_sessions (session_id, expires_at) VALUES ('00000000-0000-4000-8000-000000000001', now() - interval '1 second')`);
    const live = await openSession(s, 'dashboard');
    await s.app.inject({ method: 'POST', url: '/close/dashboard', cookies: { settle_session: live.value } });
    const { rows } = await database.db.query<{ session_id: string }>('SELECT session_id FROM revoked_sessions');
    expect(rows.map((r) => r.session_id)).toContain(live.claims.sid);
    expect(rows.map((r) => r.session_id)).not.toContain('00000000-0000-4000-8000-000000000001');
  });

  it('CSRF tokens belong to one session', async () => {
    const a = (await openSession(s, 'dashboard')).claims;
    const b = (await openSession(s, 'dashboard')).claims;
    expect(s.sessions.checkCsrfToken(a, s.sessions.csrfToken(a))).toBe(true);
    expect(s.sessions.checkCsrfToken(a, s.sessions.csrfToken(b))).toBe(false);
    expect(s.sessions.checkCsrfToken(a, undefined)).toBe(false);
    expect(s.sessions.checkCsrfToken(a, 'forged-token')).toBe(false);
  });

  it('says when it falls back to a random per-process secret', () => {
    const lines: string[] = [];
    const capture = createLogger('warn', { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream);
    const ephemeral = createSessions({ ttlMs: HOUR, logger: capture, db: database.db });
    expect(ephemeral.ephemeralSecret).toBe(true);
    expect(lines.join('')).toContain('SESSION_SECRET is not set');
  });
});

describe('requireAdminOrSession (admin key or session cookie, CSRF on state changes)', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let sessions: Sessions;
  let admin: CreatedUser;
  let user: CreatedUser;
  let cookie: string;
  let token: string;
  const ORIGIN = 'http://localhost:80';

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await createUser(database.db, { email: 'session-admin@example.com', role: 'admin' });
    user = await createUser(database.db, { email: 'session-user@example.com' });
    sessions = createSessions({ secret: 'another-test-secret-0123456789abcdefgh', ttlMs: HOUR, logger, db: database.db });
    app = Fastify();
    registerErrorHandling(app);
    await app.register(fastifyCookie);
    await sessions.register(app);
    const guard = { preHandler: requireAdminOrSession(database.db, sessions) };
    app.get('/api/admin/thing', guard, async (request) => ({ email: request.principal?.email, viaSession: Boolean(request.adminSession) }));
    app.post('/api/admin/thing', guard, async (request) => ({ email: request.principal?.email }));
    const adminPrincipal = (await authenticateApiKey(database.db, admin.apiKey))!;
    app.post('/sign-in', async (request) => ({ csrf: sessions.csrfToken(sessions.open(request, 'dashboard', adminPrincipal)) }));
    await app.ready();
    const signIn = await app.inject({ method: 'POST', url: '/sign-in' });
    cookie = signIn.cookies.find((c) => c.name === SESSION_COOKIE)!.value;
    token = signIn.json().csrf;
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST', headers: Record<string, string> = {}, cookies: Record<string, string> = {}) =>
    app.inject({ method, url: '/api/admin/thing', headers: { host: 'localhost:80', ...headers }, cookies, ...(method === 'POST' && { payload: {} }) });

  it('takes an admin key, refuses a user key (403) and nobody (401)', async () => {
    expect((await call('GET', { authorization: `Bearer ${admin.apiKey}` })).json()).toEqual({ email: admin.email, viaSession: false });
    expect((await call('POST', { authorization: `Bearer ${admin.apiKey}` })).statusCode).toBe(200);
    expect((await call('GET', { authorization: `Bearer ${user.apiKey}` })).statusCode).toBe(403);
    expect((await call('GET')).statusCode).toBe(401);
    expect((await call('GET', {}, { [SESSION_COOKIE]: 'forged' })).statusCode).toBe(401);
  });

  it('takes the session cookie for reads, and for writes only with the CSRF token from this origin', async () => {
    const s = { [SESSION_COOKIE]: cookie };
    expect((await call('GET', {}, s)).json()).toEqual({ email: admin.email, viaSession: true });
    expect((await call('POST', {}, s)).statusCode).toBe(403);
    expect((await call('POST', { [CSRF_HEADER]: 'wrong' }, s)).statusCode).toBe(403);
    expect((await call('POST', { [CSRF_HEADER]: token, origin: 'http://evil.example' }, s)).statusCode).toBe(403);
    expect((await call('POST', { [CSRF_HEADER]: token, 'sec-fetch-site': 'cross-site' }, s)).statusCode).toBe(403);
    expect((await call('POST', { [CSRF_HEADER]: token, origin: ORIGIN, 'sec-fetch-site': 'same-origin' }, s)).statusCode).toBe(200);
    expect((await call('POST', { [CSRF_HEADER]: token }, s)).statusCode).toBe(200);
  });

  it('ends the session when its API key is revoked', async () => {
    const s = { [SESSION_COOKIE]: cookie };
    expect((await call('GET', {}, s)).statusCode).toBe(200);
    await database.db.query('UPDATE api_keys SET revoked_at = now() WHERE user_id = $1', [admin.userId]);
    expect((await call('GET', {}, s)).statusCode).toBe(401);
  });
});
