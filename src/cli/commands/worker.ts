import type { Command } from 'commander';
import { createSystem, startBackgroundWork } from '../../app/index.js';
import { createLogger } from '../../log/index.js';
import { action, readConfig } from '../context.js';
import { onShutdown } from '../shutdown.js';

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
