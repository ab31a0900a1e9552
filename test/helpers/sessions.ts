import { fastifyCookie } from '@fastify/cookie';
import Fastify from 'fastify';
import { createSessions, type SessionKind } from '../../src/http/auth/index.js';
import type { Db } from '../../src/db/index.js';
import { createLogger } from '../../src/log/index.js';
import type { Principal } from '../../src/users/index.js';

export const SESSION_COOKIE_NAMES: Record<SessionKind, string> = { dashboard: 'settle_session', playground: 'settle_playground' };

/** An app with only the session plumbing, to open, read and close a session of either kind over HTTP. */
export async function startSessionApp(db: Db, principal: Principal, apiKey: string, secret: string | undefined, ttlMs = 3_600_000) {
  const sessions = createSessions({ secret, ttlMs, logger: createLogger('silent'), db });
  const app = Fastify();
  await app.register(fastifyCookie);
  await sessions.register(app);
  const kindOf = (params: unknown) => (params as { kind: SessionKind }).kind;
  app.post('/open/:kind', async (request) => {
    const kind = kindOf(request.params);
    return sessions.open(request, kind, principal, kind === 'playground' ? apiKey : undefined);
  });
  app.get('/read/:kind', async (request) => ({ claims: await sessions.read(request, kindOf(request.params)) }));
  app.post('/close/:kind', async (request) => {
    const claims = await sessions.read(request, kindOf(request.params));
    if (claims) await sessions.close(request, kindOf(request.params), claims);
    return { closed: Boolean(claims) };
  });
  await app.ready();
  return { app, sessions };
}

export type SessionApp = Awaited<ReturnType<typeof startSessionApp>>;

/** Opens a session; `value` is the cookie's value as the server meant it (decoded). */
export async function openSession(s: SessionApp, kind: SessionKind) {
  const res = await s.app.inject({ method: 'POST', url: `/open/${kind}` });
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE_NAMES[kind])!;
  return { claims: res.json(), value: cookie.value, setCookie: String(res.headers['set-cookie']) };
}

/** A cookie value (as sent in a Cookie header, encoded) with one bit of its ciphertext flipped. */
export function tamperedCookie(encoded: string): string {
  const [cipher, nonce] = decodeURIComponent(encoded).split(';') as [string, string];
  const raw = Buffer.from(cipher, 'base64');
  raw[raw.length - 1]! ^= 1;
  return encodeURIComponent(`${raw.toString('base64')};${nonce}`);
}
