import { foldRunCounts } from '../jobs/index.js';
import { foldOutboxCounts } from '../notify/index.js';
import { foldTaskCounts } from '../tasks/index.js';
import type { System } from './system.js';

/** Often enough that the deltas stay a few minutes' worth of changes; a fold of an idle install is three tiny statements. */
const FOLD_EVERY_MS = 60_000;

/**
 * Folds the counters' deltas (migration 0018) on a timer, so they stay small on an install nobody scrapes: a
 * scrape folds them too, but without Prometheus nothing else would. Folds are safe on any number of instances at once.
 */
export function startCounterFolds(system: System, everyMs = FOLD_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const fold = async () => {
    try {
      await foldTaskCounts(system.db);
      await foldRunCounts(system.db);
      await foldOutboxCounts(system.db);
    } catch (err) {
      system.logger.warn({ err }, 'could not fold the counters; the next fold or scrape will');
    }
  };
  const timer = setInterval(() => {
    running ??= fold().finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
