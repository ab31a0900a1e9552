import { Cron } from 'croner';
import { fireTick, type ScheduledJob, type SchedulerDeps, type TickOutcome } from './fireTick.js';

export interface Scheduler {
  /** Fires one job's tick by hand, exactly as the timer does (tests, operators). */
  fire(jobName: string, tickAt: Date): Promise<TickOutcome>;
  /** Stops the timers, asks runs in progress to wrap up, and waits for them. */
  stop(): Promise<void>;
}

/**
 * Runs each job on its cron pattern. Every instance's timer fires; the tick row decides which instance runs it,
 * and croner's `protect` keeps this instance from starting a tick while its own previous one is still going.
 */
export function startScheduler(deps: SchedulerDeps, jobs: ScheduledJob[]): Scheduler {
  const inFlight = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  const byName = new Map(jobs.map((job) => [job.name, job]));

  const fire = (job: ScheduledJob, tickAt: Date): Promise<TickOutcome> => {
    const firing = fireTick(deps, job, tickAt, stopping.signal);
    inFlight.add(firing);
    void firing.finally(() => inFlight.delete(firing)).catch(() => undefined);
    return firing;
  };

  const timers = jobs.map(
    (job) =>
      new Cron(job.pattern, { protect: true }, async (self: Cron) => {
        const tickAt = scheduledTick(self);
        try {
          const outcome = await fire(job, tickAt);
          deps.logger.info({ job: job.name, tickAt: tickAt.toISOString(), outcome }, 'scheduled tick');
        } catch (err) {
          deps.logger.error({ err, job: job.name, tickAt: tickAt.toISOString() }, 'scheduled tick failed');
        }
      }),
  );
  deps.logger.info({ jobs: jobs.map((j) => `${j.name} ${j.pattern}`) }, 'scheduler started');

  return {
    fire(jobName, tickAt) {
      const job = byName.get(jobName);
      if (!job) return Promise.reject(new Error(`No scheduled job named ${jobName}`));
      return fire(job, tickAt);
    },
    async stop() {
      stopping.abort();
      for (const timer of timers) timer.stop();
      await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * The tick being fired: the latest occurrence of the pattern not after now. croner fires at or just after it, so
 * every instance derives the same instant, which is what makes the tick row a once-per-tick lock.
 */
function scheduledTick(cron: Cron): Date {
  const now = Date.now();
  return cron.previousRuns(1, new Date(now + 1))[0] ?? new Date(now - (now % 1000));
}
