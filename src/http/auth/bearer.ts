import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * `Bearer <token>`: the scheme in any case (RFC 7235), then spaces or tabs, then the token without the whitespace
 * around it (a cron secret may hold inner spaces; an API key never does).
 */
const BEARER = /^bearer[ \t]+(\S(?:.*\S)?)[ \t]*$/i;

/**
 * The bearer token of a request, normalised: every spelling of the header that authenticates as a key
 * (`Bearer  KEY`, `bearer KEY`, a trailing space) yields the same token, so whatever is keyed by it (the
 * submission rate limit) cannot be dodged by re-spelling the header.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/**
 * Whose budget a request spends: the presented token (by its hash, never the token), or the client address when
 * it presents none. Computed before authentication, so a flood of requests costs no database work.
 */
export function credentialBucket(request: FastifyRequest): string {
  const token = bearerToken(request);
  return token === undefined ? `ip:${request.ip}` : createHash('sha256').update(token).digest('base64url');
}
