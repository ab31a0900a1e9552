import { createSystem, startBackgroundWork, stopWithin, type System } from '../app/index.js';
import type { Config } from '../config/index.js';
import { startServer, type RunningServer } from '../http/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { onShutdown, type Shutdown } from './shutdown.js';

export interface RunningSettle {
  system: System;
  logger: Logger;
  /** Set when asked to serve HTTP. */
  server?: RunningServer;
}

/**
 * What `serve`, `worker` and `demo` run: the system, its background work and, to serve, the HTTP API, stopped on SIGTERM or
 * SIGINT: the server and the background work side by side, then the database. `before` starts what must stop last (the demo's simulator).
 */
export async function runSettle(config: Config, options: { serve: boolean; before?: (shutdown: Shutdown) => void }): Promise<RunningSettle> {
  const logger = createLogger(config.logLevel);
  const shutdown = onShutdown(logger);
  options.before?.(shutdown);
  const system = await createSystem(config, { logger });
  shutdown.started(() => stopWithin(3_000, 'database', () => system.close(), logger));
  const background = await startBackgroundWork(system);
  if (!options.serve) {
    shutdown.started(() => background.stop());
    return { system, logger };
  }
  const server = await startServer(system);
  // Side by side: neither needs the other to stop, and the worker stops taking tasks at once instead of after the
  // server's grace. The longer of the two (the background's 15 s at most) plus the database's 3 s stays well inside 25 s.
  shutdown.started(async () => void (await Promise.all([server.close(), background.stop()])));
  return { system, logger, server };
}
