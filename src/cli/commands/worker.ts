import type { Command } from 'commander';
import { action, readConfig } from '../context.js';
import { runSettle } from '../runSettle.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run the background worker and the recovery schedules (no HTTP); SIGTERM stops it gracefully')
    .action(action(async () => {
      const { logger } = await runSettle(readConfig(), { serve: false });
      logger.info('settle worker is running');
    }));
}
