import { scheduleJobs, type Scheduler } from '../jobs/index.js';
import { startDelivery } from '../notify/index.js';
import { startWorker } from '../recovery/index.js';
import { startCounterFolds } from './counterFolds.js';
import { stopWithin } from './stopWithin.js';
import type { System } from './system.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

/**
 * What `settle serve`, `settle worker` and `settle demo` run beside the HTTP API: the worker, the job scheduler
 * (unless SCHEDULER=off leaves the jobs to an outside caller), the outbox delivery loop and the counters' fold. A bad schedule closes the
 * system and throws its one configuration line.
 */
export async function startBackgroundWork(system: System): Promise<BackgroundWork> {
  let scheduler: Scheduler | undefined;
  try {
    scheduler = system.config.scheduler ? scheduleJobs(system.jobRunner, system.jobs, system.tasks) : undefined;
  } catch (err) {
    await system.close();
    throw err;
  }
  if (!scheduler) system.logger.info('SCHEDULER=off: the recovery jobs run only when the cron routes, an admin or the CLI start them');
  const worker = startWorker(system.tasks, { concurrency: system.config.workerConcurrency });
  const delivery = startDelivery(system.delivery, system.config.outbox.pollMs);
  const folds = startCounterFolds(system);
  const { logger } = system;
  return {
    async stop() {
      // The scheduler's run in progress and the worker's tasks finish side by side, each given at most 10 s; delivery
      // last, so what they queued on the way out is still sent when it can be. With the database's close after, the
      // whole stop stays inside the process's 25 s shutdown bound (the HTTP server stops alongside, within 7 s).
      await Promise.all([
        scheduler && stopWithin(10_000, 'scheduler', () => scheduler.stop(), logger),
        stopWithin(10_000, 'worker', () => worker.stop(), logger),
      ]);
      await stopWithin(4_000, 'outbox delivery', () => delivery.stop(), logger);
      await stopWithin(1_000, 'counter folds', () => folds.stop(), logger);
    },
  };
}
