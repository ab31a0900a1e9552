export {
  EMPTY_SUMMARY,
  type AnyJob,
  type JobDescriptor,
  type JobOverrides,
  type JobRun,
  type JobRunContext,
  type JobTrigger,
  type RunProgress,
  type RunSummary,
} from './descriptor.js';
export {
  JobAlreadyRunningError,
  runJob,
  type FinishedRunSummary,
  type JobRunnerDeps,
  type RunFinishedHook,
  type RunOptions,
} from './runJob.js';
export { executionView, type ExecutionView } from './runView.js';
export { scheduleJobs } from './scheduleJobs.js';
export { startScheduler, type Scheduler } from './scheduler.js';
export { fireTick, type ScheduledJob, type SchedulerDeps, type TickOutcome } from './fireTick.js';
export {
  describePauseChange,
  findJob,
  listSchedules,
  setSchedulePaused,
  SCHEDULE_OFF,
  UnknownJobError,
  type LastRun,
  type PauseChange,
  type ScheduleView,
} from './schedules.js';
export { isJobPaused } from './sql/readPauses.js';
export { claimTick, type TickClaim } from './sql/ticks.js';
export { countConsecutiveFailedRuns, listRuns, type RunRow } from './sql/runs.js';
export { runStats, type RunStats } from './sql/runStats.js';
export { readRunCounts } from './runCounts.js';
export { RUN_COUNT_RESULTS, type RunCountResult, type RunCountRow } from './sql/selectRunCounts.js';
export { selectLastRuns, type LastFinishedRun } from './sql/selectLastRuns.js';
export { foldRunCounts } from './sql/foldRunCounts.js';
