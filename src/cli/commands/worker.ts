import type { Command } from 'commander';
import { raiseRunAlerts, startDelivery } from '../../notify/index.js';
import { startWorker, withProviderLimits } from '../../recovery/index.js';
import { startRecoveryScheduler } from '../../scheduler/index.js';
import { createLogger } from '../../log/index.js';
import { createSystem, type System } from '../../system.js';
import { action, readConfig } from '../context.js';
import { onShutdown } from '../shutdown.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

/**
 * The worker, the recovery scheduler (sharing this process's provider rate limit) and the outbox delivery loop:
 * what `settle worker`, `settle serve` and `settle demo` run in the background. A bad schedule closes the system
 * and throws its one line.
 */
export async function startBackgroundWork(system: System): Promise<BackgroundWork> {
  const deps = withProviderLimits(system.tasks, system.config.providerRateLimit);
  let scheduler;
  try {
    scheduler = startRecoveryScheduler(deps, system.config, { onFinished: (tx, run) => raiseRunAlerts(tx, run, system.alerts) });
  } catch (err) {
    await system.close();
    throw err;
  }
  const worker = startWorker(deps, { concurrency: system.config.workerConcurrency, rateLimit: system.config.providerRateLimit });
  const delivery = startDelivery(system.delivery, system.config.outbox.pollMs);
  return {
    async stop() {
      // Scheduler first: a run in progress finishes (and records itself) while the worker still drains; delivery
      // last, so what they queued on the way out is still sent when it can be.
      await scheduler.stop();
      await worker.stop();
      await delivery.stop();
    },
  };
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the background worker and the recovery schedules (no HTTP); SIGTERM stops it gracefully')
    .action(action(async () => {
      const config = readConfig();
      const logger = createLogger(config.logLevel);
      const shutdown = onShutdown(logger);
      const system = await createSystem(config, { logger });
      shutdown.started(() => system.close());
      const background = await startBackgroundWork(system);
      shutdown.started(() => background.stop());
      logger.info('settle worker is running');
    }));
}
