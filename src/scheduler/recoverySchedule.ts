import type { Config } from '../config/index.js';
import { recoverySettings, runRecoveryJob, type RunFinishedHook } from '../recovery/index.js';
import type { TaskDeps } from '../tasks/index.js';
import type { ScheduledJob } from './fireTick.js';
import { checkedCron, SCHEDULE_OFF, schedulePatterns } from './schedules.js';
import { startScheduler, type Scheduler } from './scheduler.js';

/** The recovery jobs on RECONCILE_CRON and CLEANUP_CRON, as run by `settle serve` and `settle worker`. */
export function startRecoveryScheduler(deps: TaskDeps, config: Config, hooks: { onFinished?: RunFinishedHook } = {}): Scheduler {
  const settings = recoverySettings(config);
  const jobs: ScheduledJob[] = schedulePatterns(config)
    .filter(({ pattern }) => pattern !== SCHEDULE_OFF)
    .map(({ job, pattern, variable }) => ({
      name: job,
      pattern: validPattern(variable, pattern),
      run: (tickAt: Date, stopping: AbortSignal) =>
        runRecoveryJob(deps, settings, job, 'cron', {}, { scheduledFor: tickAt, onFinished: hooks.onFinished, stopping }),
    }));
  return startScheduler(deps, jobs);
}

function validPattern(variable: string, pattern: string): string {
  checkedCron(variable, pattern).stop();
  return pattern;
}
