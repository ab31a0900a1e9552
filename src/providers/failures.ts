import type { z } from 'zod';
import { ProviderError } from './types.js';

/** How a provider's answer codes read: which are worth a retry, which mean the operator's account, which wait. */
export interface CodeRules {
  provider: string;
  isTransient(code: number): boolean;
  /** The operator's account, not the user's task: kept alive within the deadline, alerted (DESIGN section 11). */
  account: ReadonlySet<number>;
  /** Codes whose Retry-After is obeyed. */
  retryAfter: ReadonlySet<number>;
}

/** A provider's error answer as a ProviderError, classified by its rules. */
export function codeFailure(rules: CodeRules, op: string, code: number, message: string, retryAfterMs?: number): ProviderError {
  const text = `${rules.provider} ${op} failed: ${code}${message ? ` ${message}` : ''}`;
  return new ProviderError(rules.isTransient(code) ? 'transient' : 'permanent', String(code), text, {
    retryAfterMs: rules.retryAfter.has(code) ? retryAfterMs : undefined,
    account: rules.account.has(code),
  });
}

/**
 * A provider's answer read against its schema. One that does not fit is transient (the task is asked again until its
 * deadline), and in doubt where the provider may have acted without our knowing it (a creation without an id).
 */
export function readAnswer<T>(schema: z.ZodType<T>, answer: unknown, unreadable: string, options: { inDoubt?: boolean } = {}): T {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw new ProviderError('transient', 'invalid_response', unreadable, options);
}

/** Socket errors that mean the request never left: nothing can have been created at the provider. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * A fetch that never produced a whole answer: always transient. A timeout, an answer cut off for its size or a
 * connection lost after the request was sent is in doubt (the provider may have acted on it); a connection never
 * made, refused or not made within the deadline, is not. The URL is left out of the message, it may carry tokens.
 */
export function fetchFailure(op: string, provider: string, err: unknown, timeoutMs: number): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new ProviderError('transient', 'timeout', `${provider} ${op} timed out after ${timeoutMs} ms`, { inDoubt: true });
  }
  if (err instanceof Error && (err.name === 'NoConnectionError' || (err as { code?: unknown }).code === 'UND_ERR_CONNECT_TIMEOUT')) {
    return new ProviderError('transient', 'network', `${provider} ${op} could not connect within its deadline`, { inDoubt: false });
  }
  if (err instanceof Error && err.name === 'AnswerTooLargeError') {
    return new ProviderError('transient', 'invalid_response', `${provider} ${op} ${err.message}`, { inDoubt: true });
  }
  const cause = describeCause(err);
  return new ProviderError('transient', 'network', `${provider} ${op} could not reach the provider: ${cause}`, { inDoubt: !NEVER_SENT.has(cause) });
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
