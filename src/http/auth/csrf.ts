import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { SessionClaims, Sessions } from './sessions.js';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** This site's origins: the one the request was addressed to, and PUBLIC_URL's. */
function allowedOrigins(sessions: Sessions, request: FastifyRequest): string[] {
  return [`${request.protocol}://${request.host}`, ...sessions.trustedOrigins];
}

/**
 * The browser-side half of the CSRF defence, for any cookie-authenticated state-changing request (and the sign-in
 * forms): an Origin header, when present, must be this site's; Sec-Fetch-Site, when present, must not be cross-site.
 * The request's own origin comes from the Host header, or X-Forwarded-Host only from a proxy TRUST_PROXY names.
 */
export function sameOriginRequest(sessions: Sessions, request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins(sessions, request).includes(origin)) return false;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  return true;
}

function csrfTokenOf(request: FastifyRequest): unknown {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' ? body._csrf : undefined;
}

/**
 * True when the browser itself vouches that the request came from this origin: `Sec-Fetch-Site: same-origin` is set
 * by the browser and cannot be set by a page, so a cross-site page (or a sibling subdomain, `same-site`) cannot
 * produce it. Browsers without Fetch Metadata send nothing, and need the token.
 */
function browserSaysSameOrigin(request: FastifyRequest): boolean {
  return request.headers['sec-fetch-site'] === 'same-origin';
}

export interface CsrfOptions {
  /**
   * Accept a same-origin request the browser vouches for (Sec-Fetch-Site) without the token: the playground's user
   * routes, where the seeds' own front-end code (a plain fetch with no custom header) must work as written.
   */
  fetchMetadataSuffices?: boolean;
}

/**
 * Refuses a cookie-authenticated state-changing request that is cross-site or lacks the session's CSRF token. The
 * Origin and Sec-Fetch-Site check comes first and always applies, whatever the body's Content-Type (a cross-site
 * form can post text/plain).
 */
export function assertCsrf(sessions: Sessions, request: FastifyRequest, claims: SessionClaims, options: CsrfOptions = {}): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (!sameOriginRequest(sessions, request)) {
    throw new ApiError(403, 'forbidden', 'Cross-site request refused: the Origin is not this site');
  }
  if (options.fetchMetadataSuffices && browserSaysSameOrigin(request)) return;
  if (!sessions.checkCsrfToken(claims, csrfTokenOf(request))) {
    throw new ApiError(403, 'forbidden', `Missing or wrong CSRF token: send the page's token in the ${CSRF_HEADER} header`);
  }
}
