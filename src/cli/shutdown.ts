import type { Logger } from '../log/index.js';
import { stopExitingCleanly } from './earlyExit.js';

const SHUTDOWN_BOUND_MS = 25_000;

export interface Shutdown {
  /** A part that has started; on shutdown the parts stop in the reverse order of their start. */
  started(stop: () => Promise<void>): void;
}

/**
 * Installs the SIGINT/SIGTERM handlers before anything starts, in place of the early exit (earlyExit.ts), so an
 * orchestrator's SIGTERM during start-up (while migrating, say) is a clean stop too: what has started so far stops,
 * in reverse order, then the process exits 0, or 1 if the stopping fails or overruns the bound.
 */
export function onShutdown(logger: Logger): Shutdown {
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_BOUND_MS);
    timer.unref();
    stopInReverse(stops).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  stopExitingCleanly();
  return { started: (s) => void stops.push(s) };
}

async function stopInReverse(stops: (() => Promise<void>)[]): Promise<void> {
  for (const s of [...stops].reverse()) await s();
}
