import type { Command } from 'commander';
import { action, parsePositiveInt, readConfig } from '../context.js';
import { runSettle } from '../runSettle.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API, the worker and the recovery schedules')
    .option('--port <n>', 'port to listen on (default $PORT or 3000)')
    .action(action(async (opts: { port?: string }) => {
      const config = readConfig(opts.port ? { PORT: String(parsePositiveInt(opts.port, '--port')) } : {});
      const { logger, server } = await runSettle(config, { serve: true });
      logger.info({ url: server!.url }, 'settle is serving');
    }));
}
