import { Cron } from 'croner';
import { ConfigError, type Config } from '../config.js';
import { recoverySettings, runRecoveryJob, type JobName, type RunFinishedHook } from '../recovery/index.js';
import type { TaskDeps } from '../tasks/index.js';
import type { ScheduledJob } from './fireTick.js';
import { startScheduler, type Scheduler } from './scheduler.js';

/** A schedule set to this runs nowhere in this process (the job can still be run by cron route, admin or CLI). */
export const SCHEDULE_OFF = 'off';

/** The recovery jobs on RECONCILE_CRON and CLEANUP_CRON, as run by `settle serve` and `settle worker`. */
export function startRecoveryScheduler(deps: TaskDeps, config: Config, hooks: { onFinished?: RunFinishedHook } = {}): Scheduler {
  const settings = recoverySettings(config);
  const schedules: [JobName, string, string][] = [
    ['process-stuck-tasks', config.reconcileCron, 'RECONCILE_CRON'],
    ['cleanup-jobs', config.cleanupCron, 'CLEANUP_CRON'],
  ];
  const jobs: ScheduledJob[] = schedules
    .filter(([, pattern]) => pattern !== SCHEDULE_OFF)
    .map(([name, pattern, variable]) => ({
      name,
      pattern: checkPattern(variable, pattern),
      run: (tickAt: Date) => runRecoveryJob(deps, settings, name, 'cron', {}, { scheduledFor: tickAt, onFinished: hooks.onFinished }),
    }));
  return startScheduler(deps, jobs);
}

/** A bad pattern fails at start with one line naming the variable, like any other bad configuration. */
function checkPattern(variable: string, pattern: string): string {
  try {
    new Cron(pattern, { paused: true }).stop();
    return pattern;
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${variable}: ${(err as Error).message} (or "${SCHEDULE_OFF}")`);
  }
}
