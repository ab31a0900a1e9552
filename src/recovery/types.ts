import type { AdvanceOutcome, LateResultOutcome } from '../tasks/index.js';

/** What recovery decides for one task. A dry run reports the decisions; a real run takes them and reports outcomes. */
export type RecoveryAction =
  | 'complete' // the provider has the result: store it, complete, charge
  | 'fail' // failed for good (or never accepted in time): fail and refund
  | 'retry' // failed transiently or ran past its deadline with attempts left: resubmit
  | 'wait' // still running within its deadline
  | 'provider_error' // the provider could not be asked: counted, the task backs off
  | 'redispatch' // pending too long: dispatch again
  | 'late_result'; // success after a timeout-failure: store and link the asset, no charge

export interface TaskReport {
  taskId: string;
  /** Absent only for a task whose handling failed before a decision was made. */
  action?: RecoveryAction;
  /** Real runs only: what advance (or recordLateResult) did. */
  outcome?: AdvanceOutcome | LateResultOutcome;
  /** Set when handling the task threw; the rest of the batch went on. */
  error?: string;
}

export interface SkippedTask {
  taskId: string;
  reason: string;
}

/** The per-task result of a recovery step: taken (with the action), skipped (with why), or nothing to do. */
export type Verdict = { skipped: string } | { action: RecoveryAction; outcome?: TaskReport['outcome'] } | null;

export interface ReconcileResult {
  dryRun: boolean;
  /** Stuck processing tasks plus stale pending tasks found by this run. */
  totalFound: number;
  /** Batches taken: more than one while batches came back full, within RECONCILE_BUDGET_MS. */
  batches: number;
  completed: number;
  failed: number;
  stillProcessing: number;
  retried: number;
  redispatched: number;
  errors: number;
  lateResults: number;
  skipped: SkippedTask[];
  tasks: TaskReport[];
}
