import { describeCause, parseRetryAfter } from '../kie/errors.js';
import { ProviderError } from '../types.js';

export type ReplicateOperation = 'create' | 'get' | 'download';

export { parseRetryAfter };

/**
 * Replicate answers errors with real HTTP statuses (and a problem-details body, `{title, detail, status}`).
 * Transient (a later retry may succeed): 408, 409, 425, 429 and every 5xx.
 * Permanent: 401 (bad token), 402 (billing), 403, 404 (unknown model or prediction), 422 (invalid input), other 4xx.
 */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

export function httpFailure(op: ReplicateOperation, status: number, message: string, retryAfterMs?: number): ProviderError {
  const kind = isTransientStatus(status) ? 'transient' : 'permanent';
  const text = `Replicate ${op} failed: ${status}${message ? ` ${message}` : ''}`;
  const honoured = status === 429 || status === 503 ? retryAfterMs : undefined;
  return new ProviderError(kind, String(status), text, honoured);
}

/** A fetch that never produced a whole answer: always transient. The URL is left out, it may carry tokens. */
export function fetchFailure(op: ReplicateOperation, err: unknown, timeoutMs: number): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new ProviderError('transient', 'timeout', `Replicate ${op} timed out after ${timeoutMs} ms`);
  }
  return new ProviderError('transient', 'network', `Replicate ${op} could not reach the provider: ${describeCause(err)}`);
}
