import type { AnyJob } from './descriptor.js';
import type { ScheduledJob } from './fireTick.js';
import { runJob, type JobRunnerDeps, type RunFinishedHook } from './runJob.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { checkedCron, SCHEDULE_OFF } from './schedules.js';

/**
 * Runs each job on the pattern its configuration gives (jobs set to "off" are left out), once per tick across all
 * instances, recorded like any other run. A bad pattern throws its one configuration line before anything starts.
 */
export function scheduleJobs<Deps>(runner: JobRunnerDeps & { onFinished?: RunFinishedHook }, jobs: readonly AnyJob<Deps>[], deps: Deps): Scheduler {
  const scheduled: ScheduledJob[] = [];
  for (const job of jobs) {
    const pattern = job.schedule.pattern(runner.config);
    if (pattern === SCHEDULE_OFF) continue;
    checkedCron(job.schedule.variable, pattern).stop();
    scheduled.push({
      name: job.name,
      pattern,
      run: (tickAt, stopping) => runJob(runner, job, deps, 'cron', { scheduledFor: tickAt, stopping }),
    });
  }
  return startScheduler(runner, scheduled);
}
