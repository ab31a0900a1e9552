export { startScheduler, type Scheduler } from './scheduler.js';
export { fireTick, type ScheduledJob, type SchedulerDeps, type TickOutcome } from './fireTick.js';
export { claimTick } from './ticks.js';
export { startRecoveryScheduler, SCHEDULE_OFF } from './recoverySchedule.js';
