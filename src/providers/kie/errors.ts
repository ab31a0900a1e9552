import { ProviderError } from '../types.js';

export type KieOperation = 'createTask' | 'recordInfo' | 'download';

/**
 * KIE answers most errors as HTTP 200 with a body code, and a few as real HTTP statuses; both are classified here.
 * Transient (a later retry may succeed): 408, 429, 455 (service unavailable / maintenance) and 5xx except 501.
 * Permanent: 501 (KIE: generation failed), 401, 402, 422 and every other 4xx.
 */
export function isTransientCode(code: number): boolean {
  if (code === 408 || code === 429 || code === 455) return true;
  return code >= 500 && code !== 501;
}

export function codeError(op: KieOperation, code: number, message: string, retryAfterMs?: number): ProviderError {
  const kind = isTransientCode(code) ? 'transient' : 'permanent';
  const text = `KIE ${op} failed: ${code}${message ? ` ${message}` : ''}`;
  return new ProviderError(kind, String(code), text, code === 429 ? retryAfterMs : undefined);
}

/** A fetch that never produced a response: always transient. The URL is left out, it may carry tokens. */
export function fetchFailure(op: KieOperation, err: unknown, timeoutMs: number): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new ProviderError('transient', 'timeout', `KIE ${op} timed out after ${timeoutMs} ms`);
  }
  return new ProviderError('transient', 'network', `KIE ${op} could not reach the provider: ${describeCause(err)}`);
}

export function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // A socket error carries its code (ECONNREFUSED, ENOTFOUND...); undici's fetch kept it in `cause`.
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string' && !own.startsWith('UND_ERR')) return own;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err.message;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
