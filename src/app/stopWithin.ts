import type { Logger } from '../log/index.js';

/**
 * Stops one part of a process on its way out, waiting at most `ms` for the work it has in flight. Work still running
 * then is left as a crash would leave it, which Settle recovers from by design: a task's lease lapses and another
 * process takes it over, a job's run is finished by a later one, an outbox entry is sent again. So every part stops
 * within the process's 25 s shutdown bound, whatever a provider or a receiver is doing.
 */
export async function stopWithin(ms: number, part: string, stop: () => Promise<void>, logger: Logger): Promise<void> {
  const timer = new AbortController();
  const late = new Promise<'late'>((resolve) => {
    const t = setTimeout(() => resolve('late'), ms);
    timer.signal.addEventListener('abort', () => clearTimeout(t));
  });
  try {
    if ((await Promise.race([stop().then(() => 'stopped' as const), late])) === 'late') {
      logger.warn({ part, waitedMs: ms }, 'stopping without waiting longer for work in flight; it recovers as after a crash');
    }
  } finally {
    timer.abort();
  }
}
