import { setTimeout as sleep } from 'node:timers/promises';

export interface CallbackDelivery {
  url: string;
  body: unknown;
  /** Extra headers for one attempt, given the exact body sent (e.g. a signature over it); called per attempt. */
  headers?: (rawBody: string) => Record<string, string>;
  /** Aborted when the simulator closes. */
  signal: AbortSignal;
}

const RETRIES = 3;
const FIRST_BACKOFF_MS = 100;
const ATTEMPT_TIMEOUT_MS = 5000;

/** POSTs a callback, retrying up to 3 times with a doubling backoff; true when the receiver answered 2xx. */
export async function deliverCallback(delivery: CallbackDelivery): Promise<boolean> {
  for (let attempt = 0; attempt <= RETRIES; attempt++) {
    if (attempt > 0) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1), undefined, { signal: delivery.signal });
    if (await attemptDelivery(delivery)) return true;
    if (delivery.signal.aborted) return false;
  }
  return false;
}

async function attemptDelivery(delivery: CallbackDelivery): Promise<boolean> {
  try {
    const rawBody = JSON.stringify(delivery.body);
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...delivery.headers?.(rawBody) },
      body: rawBody,
      signal: AbortSignal.any([delivery.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
