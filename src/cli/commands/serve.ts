import type { Command } from 'commander';
import { startServer } from '../../http/index.js';
import { createLogger } from '../../log/index.js';
import { createSystem, startBackgroundWork } from '../../app/index.js';
import { action, parsePositiveInt, readConfig } from '../context.js';
import { onShutdown } from '../shutdown.js';


export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API, the worker and the recovery schedules')
    .option('--port <n>', 'port to listen on (default $PORT or 3000)')
    .action(action(async (opts: { port?: string }) => {
      const config = readConfig(opts.port ? { PORT: String(parsePositiveInt(opts.port, '--port')) } : {});
      const logger = createLogger(config.logLevel);
      const shutdown = onShutdown(logger);
      const system = await createSystem(config, { logger });
      shutdown.started(() => system.close());
      const background = await startBackgroundWork(system);
      shutdown.started(() => background.stop());
      const server = await startServer(system);
      shutdown.started(() => server.close());
      logger.info({ url: server.url }, 'settle is serving');
    }));
}
