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
 * What `serve`, `worker` and `demo` run: the system, its background work and, to serve, the HTTP API, each stopped in
 * reverse on SIGTERM or SIGINT. `before` starts what must stop last (the demo's simulator).
 */
export async function runSettle(config: Config, options: { serve: boolean; before?: (shutdown: Shutdown) => void }): Promise<RunningSettle> {
  const logger = createLogger(config.logLevel);
  const shutdown = onShutdown(logger);
  options.before?.(shutdown);
  const system = await createSystem(config, { logger });
  shutdown.started(() => stopWithin(3_000, 'database', () => system.close(), logger));
  const background = await startBackgroundWork(system);
  shutdown.started(() => background.stop());
  if (!options.serve) return { system, logger };
  const server = await startServer(system);
  shutdown.started(() => server.close());
  return { system, logger, server };
}
