export { startScheduler, type Scheduler } from './scheduler.js';
export { fireTick, type ScheduledJob, type SchedulerDeps, type TickOutcome } from './fireTick.js';
export { claimTick, type TickClaim } from './ticks.js';
export { startRecoveryScheduler } from './recoverySchedule.js';
export {
  describePauseChange,
  isJobName,
  listSchedules,
  schedulePatterns,
  setSchedulePaused,
  SCHEDULE_OFF,
  UnknownJobError,
  type LastRun,
  type PauseChange,
  type ScheduleView,
} from './schedules.js';
export { isSchedulePaused } from './sql/readSchedules.js';
