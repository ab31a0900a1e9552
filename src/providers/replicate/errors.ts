import { codeFailure, type CodeRules } from '../failures.js';
import type { ProviderError } from '../types.js';

export type ReplicateOperation = 'create' | 'get' | 'cancel' | 'account' | 'download';

/**
 * Replicate answers errors with real HTTP statuses (and a problem-details body, `{title, detail, status}`).
 * Transient (a later retry may succeed): 401 and 402 (the operator's token and billing), 408, 409, 425, 429 and
 * every 5xx. Permanent: 403, 404 (unknown model or prediction), 422 (invalid input) and other 4xx.
 */
export function isTransientStatus(status: number): boolean {
  return ACCOUNT_STATUSES.has(status) || status === 408 || status === 409 || status === 425 || status >= 500;
}

/** The operator's account, not the user's task (see the KIE adapter's account codes). */
const ACCOUNT_STATUSES = new Set([401, 402, 429]);

const RULES: CodeRules = { provider: 'Replicate', isTransient: isTransientStatus, account: ACCOUNT_STATUSES, retryAfter: new Set([429, 503]) };

export function httpFailure(op: ReplicateOperation, status: number, message: string, retryAfterMs?: number): ProviderError {
  return codeFailure(RULES, op, status, message, retryAfterMs);
}
