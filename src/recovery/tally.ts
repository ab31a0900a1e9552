import type { ReconcileResult, RecoveryAction, TaskReport, Verdict } from './types.js';

type Counter = 'completed' | 'failed' | 'stillProcessing' | 'retried' | 'redispatched' | 'errors' | 'lateResults';

// A dry run counts what it would do...
const BY_ACTION: Record<RecoveryAction, Counter> = {
  complete: 'completed',
  fail: 'failed',
  retry: 'retried',
  wait: 'stillProcessing',
  provider_error: 'errors',
  redispatch: 'redispatched',
  late_result: 'lateResults',
};

// ...a real run counts what happened, which differs when the provider answers differently at the last step
// (a resubmission refused for now counts as an error, a rejected one as failed).
const BY_OUTCOME: Partial<Record<NonNullable<TaskReport['outcome']>, Counter>> = {
  completed: 'completed',
  failed: 'failed',
  retried: 'retried',
  running: 'stillProcessing',
  provider_error: 'errors',
  dispatched: 'redispatched',
  still_pending: 'errors',
  recorded: 'lateResults',
};

const WHY_NOT: Partial<Record<NonNullable<TaskReport['outcome']>, string>> = {
  fenced: 'lost its lease to another worker before settling; that worker settles it',
  already_recorded: 'its late result was already recorded',
  not_eligible: 'no longer a timed-out failure',
};

/** Collects per-task verdicts into the run's result. */
export class Tally {
  readonly result: ReconcileResult;

  constructor(dryRun: boolean) {
    this.result = {
      dryRun,
      totalFound: 0,
      batches: 0,
      completed: 0,
      failed: 0,
      stillProcessing: 0,
      retried: 0,
      redispatched: 0,
      errors: 0,
      lateResults: 0,
      skipped: [],
      tasks: [],
    };
  }

  add(taskId: string, verdict: Verdict): void {
    if (verdict === null) return;
    if ('skipped' in verdict) return void this.result.skipped.push({ taskId, reason: verdict.skipped });
    const { action, outcome } = verdict;
    this.result.tasks.push(outcome ? { taskId, action, outcome } : { taskId, action });
    const counter = this.result.dryRun ? BY_ACTION[action] : outcome && BY_OUTCOME[outcome];
    if (counter) this.result[counter]++;
    else if (outcome) this.result.skipped.push({ taskId, reason: WHY_NOT[outcome] ?? `nothing done (${outcome})` });
  }

  /** A task whose handling threw: counted as an error, the batch goes on. */
  error(taskId: string, err: unknown): void {
    this.result.errors++;
    const action = err instanceof StepError ? err.action : undefined;
    this.result.tasks.push({ taskId, ...(action && { action }), error: err instanceof Error ? err.message : String(err) });
  }
}

/** An error thrown while carrying out a decided action, so the report still says what was being done. */
export class StepError extends Error {
  constructor(readonly action: RecoveryAction, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StepError';
  }
}

/** Carries out a decided action, tagging any failure with it. */
export async function act(action: RecoveryAction, fn: () => Promise<TaskReport['outcome']>): Promise<Verdict> {
  try {
    return { action, outcome: await fn() };
  } catch (err) {
    throw new StepError(action, err);
  }
}
