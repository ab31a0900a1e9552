export { advanceClaimed, advanceTask, askProvider, newLease, type AdvanceOutcome, type ProviderAnswer } from './advance.js';
export { nextCheckDelay } from './backoff.js';
export { cancelTask, type CancelResult } from './cancel.js';
export { submitTask, type SubmitInput, type SubmitResult } from './submit.js';
export { findTask } from './sql/findTask.js';
export { taskColumns } from './sql/taskColumns.js';
export { loadTaskView, taskView, type TaskView } from './view.js';
export { listUserTasks } from './listUserTasks.js';
export { refundTask, refundView, type TaskRefund } from './refund.js';export { completeTask, failTask, SettlementConflictError } from './settle.js';
export {
  IdempotencyConflictError,
  NotRefundableError,
  ProviderRejectedError,
  TaskInputError,
  TERMINAL_STATUSES,
  type ClaimedTask,
  type RefundHook,
  type SettledTask,
  type SettlementHook,
  type SettlementPath,
  type TaskDeps,
  type TaskRow,
  type TaskStatus,
} from './types.js';
export { claimDueTasks } from './sql/claimDueTasks.js';
export { claimTask } from './sql/claimTask.js';
export { decideCheck, decideDispatch, type CheckDecision, type DispatchDecision } from './decide.js';
export { recordLateResult, type LateResultOutcome } from './lateResult.js';
export { applyCallback, type CallbackOutcome } from './callback.js';
export { findTaskByProviderTaskId } from './sql/findTask.js';
export { watchTasks, type WatchedTask } from './sql/watchTasks.js';
export { claimStuckTasks, findStuckTasks, type StuckTask } from './sql/stuckTasks.js';
export { claimPendingTask, findPendingTasks, type PendingQuery, type PendingTask } from './sql/pendingTasks.js';
export { claimOverdueTask, findOverdueTasks, type OverdueTask } from './sql/overdueTasks.js';
export { findLateResultCandidates, type LateResultCandidate } from './sql/lateResultCandidates.js';
export { releaseLeases } from './sql/releaseLeases.js';
export { listTasksForAdmin, type TaskListQuery, type TaskListRow } from './sql/listTasksForAdmin.js';
export { adminTaskTotal } from './adminTaskTotal.js';
export { countStuckTasks } from './sql/countStuckTasks.js';
export { audit, type AuditOptions, type AuditReport, type AuditViolation } from './audit.js';
export { formatAuditReport } from './formatAuditReport.js';
export { isDeliveredAsset } from './sql/findDeliveredAsset.js';
export { clusterDispatchSlots } from './dispatchSlots.js';
export { countTasksAtProvider } from './sql/claimDueTasks.js';
export { readTaskCounts } from './taskCounts.js';
export type { TaskCountRow } from './sql/selectTaskCounts.js';
export { pruneTasks, type PruneOptions, type PruneResult } from './prune.js';
export { foldTaskCounts } from './sql/foldTaskCounts.js';
