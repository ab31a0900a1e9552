export { startWorker, type Worker, type WorkerOptions } from './worker.js';
export { reconcileStuckTasks, type ReconcileOptions } from './reconciler.js';
export { redispatchPendingTasks, RECENT_DISPATCH_MS, type RedispatchOptions } from './redispatch.js';
export {
  cleanupTimedOutTasks,
  DEFAULT_CLEANUP_BATCH_SIZE,
  type CleanupJob,
  type CleanupOptions,
  type CleanupResult,
} from './cleanup.js';
export { LATE_RESULT_WINDOW_MS } from './lateResults.js';
export { retryTaskNow, type RetryNowResult } from './retryNow.js';
export {
  runJob,
  JobAlreadyRunningError,
  type FinishedRunSummary,
  type JobDeps,
  type JobRun,
  type JobTrigger,
  type RunFinishedHook,
  type RunJobOptions,
} from './executions.js';
export {
  JOB_NAMES,
  recoverySettings,
  runRecoveryJob,
  type JobName,
  type JobOverrides,
  type JobResults,
  type RecoveryRun,
  type RecoverySettings,
} from './jobs.js';
export { ProviderGate, withProviderLimits, type RateLimit } from './providerGate.js';
export { findStuckTasks } from './sql/stuckTasks.js';
export { findPendingTasks } from './sql/pendingTasks.js';
export { findTimedOutTasks } from './sql/timedOutTasks.js';
export { listExecutions, type ExecutionRow } from './sql/executions.js';
export { executionView, type ExecutionView } from './executionView.js';
export { executionStats, type ExecutionStats } from './sql/executionStats.js';
export { listTasks, type TaskListQuery, type TaskListRow } from './sql/listTasks.js';
export type { ReconcileResult, RecoveryAction, SkippedTask, TaskReport } from './types.js';
