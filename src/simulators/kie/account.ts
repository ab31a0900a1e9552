import type { KieError } from './envelope.js';
import type { KieFaults } from './faults.js';
import type { KieTask } from './task.js';

export const ACCOUNT_ERROR_CODES = [402, 433, 505] as const;
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];

// The wording of KIE's code table (docs.kie.ai, "Get Remaining Credits"); 433 is the per-key usage cap of its API keys.
const ACCOUNT_ERRORS: Record<AccountErrorCode, string> = {
  402: 'Insufficient Credits - Account does not have enough credits to perform the operation',
  433: 'Sub-key usage limit exceeded - this API key has reached its usage cap',
  505: 'Feature Disabled - The requested feature is currently disabled',
};

/** The operator's account refuses a createTask: the accountError knob, or too few credits left for one more task. */
export function accountRefusal({ accountError, accountCredits, creditsPerTask }: KieFaults): KieError | undefined {
  const code = accountError ?? (accountCredits < creditsPerTask ? 402 : undefined);
  return code === undefined ? undefined : { code, msg: ACCOUNT_ERRORS[code] };
}

/** An accepted task holds its price from the account's credits. */
export function chargeAccount(faults: KieFaults): number {
  faults.accountCredits -= faults.creditsPerTask;
  return faults.creditsPerTask;
}

/** A failed task costs nothing: KIE reports `consumeCredits: 0` on failures. */
export function refundFailed(task: KieTask, faults: KieFaults, failed: boolean): void {
  if (!failed) return;
  faults.accountCredits += task.consumeCredits;
  task.consumeCredits = 0;
}
