import { codeFailure, type CodeRules } from '../failures.js';
import type { ProviderError } from '../types.js';

export type KieOperation = 'createTask' | 'recordInfo' | 'download' | 'credit';

/**
 * The operator's account, not the user's task: 401 (the API key), 402 (the account is out of credits), 433 (the
 * sub-key's limit), 429 (the account's rate limit) and 455 (maintenance). Such a failure keeps the task alive within
 * its deadline and raises the provider_account alert; failing the user's task for it would refund everyone during an
 * outage of the operator's own making.
 */
const ACCOUNT_CODES = new Set([401, 402, 429, 433, 455]);

/**
 * KIE answers most errors as HTTP 200 with a body code, and a few as real HTTP statuses; both are classified here.
 * Transient (a later retry may succeed): the account codes above, 408, and 5xx except 501 and 505. Permanent: 501
 * (KIE: generation failed), 505 (the feature is disabled), 422 and every other 4xx.
 */
export function isTransientCode(code: number): boolean {
  if (ACCOUNT_CODES.has(code) || code === 408) return true;
  return code >= 500 && code !== 501 && code !== 505;
}

const RULES: CodeRules = { provider: 'KIE', isTransient: isTransientCode, account: ACCOUNT_CODES, retryAfter: new Set([429, 455]) };

export function codeError(op: KieOperation, code: number, message: string, retryAfterMs?: number): ProviderError {
  return codeFailure(RULES, op, code, message, retryAfterMs);
}
