import { fastifyCookie } from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/http/errors.js';
import { createSessions, CSRF_HEADER, requireAdminOrSession, SESSION_COOKIE, type Sessions } from '../../src/http/ui/dashboard/index.js';
import { createLogger } from '../../src/log/index.js';
import { authenticateApiKey, createUser, type CreatedUser } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const HOUR = 3_600_000;
const logger = createLogger('silent');

describe('dashboard session cookies', () => {
  const sessions = createSessions({ secret: 'a-test-secret-that-is-long-enough-0123', ttlMs: HOUR, logger });
  const principal = { userId: 'u-1', email: 'a@example.com', role: 'admin' as const, keyId: 'k-1' };

  it('verifies what it issued until it expires, and nothing else', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { value, claims } = sessions.issue(principal, now);
    expect(sessions.verify(value, now)).toEqual(claims);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(sessions.verify(value, new Date(now.getTime() + HOUR - 1000))).toEqual(claims);
    expect(sessions.verify(value, new Date(now.getTime() + HOUR))).toBeNull();

    const [, payload, sig] = value.split('.') as [string, string, string];
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url');
    expect(sessions.verify(`v1.${longer}.${sig}`, now)).toBeNull();
    expect(sessions.verify(`v1.${payload}.${sig.slice(0, -2)}`, now)).toBeNull();
    expect(sessions.verify(`v2.${payload}.${sig}`, now)).toBeNull();
    expect(sessions.verify(undefined, now)).toBeNull();
    const other = createSessions({ secret: 'another-secret-entirely-0123456789abcd', ttlMs: HOUR, logger });
    expect(other.verify(value, now)).toBeNull();
  });

  it('refuses a signed-out session; CSRF tokens belong to one session', () => {
    const a = sessions.issue(principal);
    const b = sessions.issue(principal);
    expect(sessions.checkCsrfToken(a.claims, sessions.csrfToken(a.claims))).toBe(true);
    expect(sessions.checkCsrfToken(a.claims, sessions.csrfToken(b.claims))).toBe(false);
    expect(sessions.checkCsrfToken(a.claims, undefined)).toBe(false);
    sessions.revoke(a.claims);
    expect(sessions.verify(a.value)).toBeNull();
    expect(sessions.verify(b.value)).toEqual(b.claims);
  });

  it('says when it falls back to a random per-process secret', () => {
    const lines: string[] = [];
    const capture = createLogger('warn', { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream);
    const ephemeral = createSessions({ ttlMs: HOUR, logger: capture });
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
    sessions = createSessions({ secret: 'another-test-secret-0123456789abcdefgh', ttlMs: HOUR, logger });
    app = Fastify();
    registerErrorHandling(app);
    await app.register(fastifyCookie);
    const guard = { preHandler: requireAdminOrSession(database.db, sessions) };
    app.get('/api/admin/thing', guard, async (request) => ({ email: request.principal?.email, viaSession: Boolean(request.adminSession) }));
    app.post('/api/admin/thing', guard, async (request) => ({ email: request.principal?.email }));
    await app.ready();
    const issued = sessions.issue((await authenticateApiKey(database.db, admin.apiKey))!);
    cookie = issued.value;
    token = sessions.csrfToken(issued.claims);
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
