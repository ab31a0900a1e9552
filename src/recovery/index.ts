export { startWorker, type Worker, type WorkerOptions } from './worker.js';
export { reconcileStuckTasks, type ReconcileOptions } from './reconciler.js';
export { redispatchPendingTasks, type RedispatchOptions } from './redispatch.js';
export {
  cleanupTimedOutTasks,
  DEFAULT_CLEANUP_BATCH_SIZE,
  type CleanupJob,
  type CleanupOptions,
  type CleanupResult,
} from './cleanup.js';
export { LATE_RESULT_WINDOW_MS } from './lateResults.js';
export { retryTaskNow, type RetryNowResult } from './retryNow.js';
export { classify } from './recheck.js';
export { cleanupJobs, processStuckTasks, providerAccount, pruneHistory, RECOVERY_JOBS } from './jobs/index.js';
export type { AccountReading, ProviderAccountResult } from './jobs/providerAccount.js';
export type { ReconcileResult, RecoveryAction, SkippedTask, TaskReport } from './types.js';
