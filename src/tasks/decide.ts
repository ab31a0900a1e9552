import type { ProviderStatus } from '../providers/index.js';
import type { TaskRow } from './types.js';

/**
 * What should happen to a processing task, given what its provider says. A pure function, so the reconciler's dry
 * run reports exactly what a real run would do.
 */
export type CheckDecision =
  | { action: 'complete'; resultUrls: string[]; completedAt: Date }
  | { action: 'retry'; code: string; message: string }
  | { action: 'fail'; code: string; message: string }
  | { action: 'wait'; progress?: number };

export function decideCheck(task: TaskRow, status: ProviderStatus, now = new Date()): CheckDecision {
  switch (status.state) {
    case 'success':
      return { action: 'complete', resultUrls: status.resultUrls, completedAt: status.completedAt ?? now };
    case 'fail':
      return status.transient ? retryOrFail(task, 'provider_failed', status.message) : { action: 'fail', code: 'provider_failed', message: status.message };
    case 'aborted':
      return { action: 'fail', code: 'provider_aborted', message: status.message };
    case 'running':
      if (task.deadline_at && now.getTime() > task.deadline_at.getTime()) {
        return retryOrFail(task, 'timeout', `No result within ${Math.round(task.timeout_ms / 1000)} s`);
      }
      return { action: 'wait', progress: status.progress };
  }
}

/** Resubmission happens only while attempts remain; the last failure settles the task. */
function retryOrFail(task: TaskRow, code: string, message: string): CheckDecision {
  return task.attempts < task.max_attempts ? { action: 'retry', code, message } : { action: 'fail', code, message };
}

/**
 * Whether a pending task may be sent to its provider now (DESIGN section 11):
 * - past its deadline (PENDING_DEADLINE_MS after submission): failed and refunded, whatever the provider answers;
 * - a createTask whose answer was lost less than doubtMs ago may have created a provider task: wait for a callback
 *   to adopt it, or for the doubt to run out;
 * - every attempt used (each createTask that may have created a provider task counts): failed and refunded;
 * - otherwise: send.
 */
export type DispatchDecision =
  | { action: 'send' }
  | { action: 'wait'; waitMs: number }
  | { action: 'fail'; code: 'dispatch_timeout' | 'attempts_exhausted'; message: string };

export function decideDispatch(task: TaskRow, doubtMs: number, now = new Date()): DispatchDecision {
  // A processing task being resubmitted (a retry) is past its processing deadline by design; its attempts bound it.
  if (task.status === 'pending' && task.deadline_at && now.getTime() > task.deadline_at.getTime()) {
    return { action: 'fail', code: 'dispatch_timeout', message: 'The provider did not accept the task before its deadline' };
  }
  const doubtLeft = task.dispatch_started_at ? task.dispatch_started_at.getTime() + doubtMs - now.getTime() : 0;
  if (doubtLeft > 0) return { action: 'wait', waitMs: doubtLeft };
  if (task.attempts >= task.max_attempts) {
    return { action: 'fail', code: 'attempts_exhausted', message: `The provider did not take the task in ${task.max_attempts} attempts` };
  }
  return { action: 'send' };
}
