import type { FinishedRunSummary } from '../../jobs/index.js';

/** One finished recovery run, as the alert rules see it. */
export type RunSummary = FinishedRunSummary;

/** System-wide readings taken when the run finished. */
export interface HealthReading {
  stuckTasks: number;
  frozenCredits: number;
  consecutiveFailedRuns: number;
}

export interface AlertThresholds {
  errorRate: number;
  errorRateMinTasks: number;
  failedTasks: number;
  processingErrors: number;
  stuckTasks: number;
  stuckAgeMinutes: number;
  frozenCredits: number;
  consecutiveFailures: number;
  dedupeMinutes: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  errorRate: 0.5,
  errorRateMinTasks: 3,
  failedTasks: 5,
  processingErrors: 3,
  stuckTasks: 20,
  stuckAgeMinutes: 60,
  frozenCredits: 10_000,
  consecutiveFailures: 3,
  dedupeMinutes: 60,
};

export type Severity = 'failure' | 'warning';

export interface AlertCondition {
  /** Stable identity for dedupe: the same key is not re-sent within the window and clears with a recovery message. */
  key: string;
  title: string;
  detail: string;
  severity: Severity;
}

/** The job whose failed run means the operator's provider account, not a failure of Settle's. */
const PROVIDER_ACCOUNT_JOB = 'provider-account';

/** The conditions that fire for this run and reading, by the rules of DESIGN section 5. A pure function. */
export function evaluateAlerts(run: RunSummary, health: HealthReading, t: AlertThresholds): AlertCondition[] {
  const job = run.jobName;
  const { found, errors, failed } = run.summary;
  const fired: AlertCondition[] = [];
  if (run.status === 'failed' && job === PROVIDER_ACCOUNT_JOB) {
    // Not a broken run: the check found the operator's account unable to take work (credits, key, quota).
    fired.push({ key: `provider_account:${job}`, title: 'Provider account needs attention', detail: run.errorMessage ?? 'The provider refused work', severity: 'failure' });
  } else if (run.status === 'failed') {
    fired.push({ key: `run_failed:${job}`, title: `${job} run failed`, detail: run.errorMessage ?? 'The run failed', severity: 'failure' });
  }
  if (found >= t.errorRateMinTasks && errors / found > t.errorRate) {
    const rate = Math.round((errors / found) * 1000) / 10;
    fired.push({ key: `high_error_rate:${job}`, title: `High error rate in ${job}`, detail: `${errors} of ${found} tasks errored (${rate}%)`, severity: 'warning' });
  }
  if (failed >= t.failedTasks) {
    fired.push({ key: `many_failed:${job}`, title: `${failed} tasks failed in one ${job} run`, detail: `At least ${t.failedTasks} tasks were failed and refunded`, severity: 'failure' });
  }
  if (errors >= t.processingErrors) {
    fired.push({ key: `processing_errors:${job}`, title: `${errors} processing errors in ${job}`, detail: 'The provider or storage errored while advancing tasks', severity: 'warning' });
  }
  if (health.stuckTasks > t.stuckTasks) {
    fired.push({ key: 'stuck_tasks', title: `${health.stuckTasks} tasks stuck for over ${t.stuckAgeMinutes} minutes`, detail: 'Tasks are pending or processing far longer than they should', severity: 'warning' });
  }
  if (health.frozenCredits > t.frozenCredits) {
    fired.push({ key: 'frozen_credits', title: `${health.frozenCredits} credits frozen`, detail: `More than ${t.frozenCredits} credits are held by running tasks`, severity: 'warning' });
  }
  if (health.consecutiveFailedRuns >= t.consecutiveFailures) {
    fired.push({ key: `consecutive_failures:${job}`, title: `${health.consecutiveFailedRuns} ${job} runs failed in a row`, detail: run.errorMessage ?? 'Recent runs keep failing', severity: 'failure' });
  }
  return fired;
}

/** Keys this job's runs can raise; a run clears only these (and the system-wide ones), not another job's. */
export function keysOwnedBy(jobName: string): (key: string) => boolean {
  return (key) => key.endsWith(`:${jobName}`) || key === 'stuck_tasks' || key === 'frozen_credits';
}
