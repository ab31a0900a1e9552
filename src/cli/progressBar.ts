import cliProgress from 'cli-progress';
import type { RunProgress } from '../jobs/index.js';

export interface TaskProgressBar extends RunProgress {
  stop(): void;
}

/**
 * A progress bar on stderr for a long run (DESIGN section 7), drawn only when stderr is a terminal: piped or
 * redirected, the command prints no control characters. The total grows as the run finds more tasks, batch by batch.
 */
export function taskProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): TaskProgressBar | undefined {
  if (!stream.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {value}/{total} tasks`, hideCursor: true, clearOnComplete: true, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    found(count) {
      if (!started) {
        started = true;
        return bar.start(count, 0);
      }
      bar.setTotal(bar.getTotal() + count);
    },
    handled: () => bar.increment(),
    stop: () => bar.stop(),
  };
}

/** Runs `work` with a progress bar for it (when stderr is a terminal), and takes the bar away when it ends. */
export async function withProgressBar<T>(label: string, work: (progress: RunProgress | undefined) => Promise<T>): Promise<T> {
  const bar = taskProgressBar(label);
  try {
    return await work(bar);
  } finally {
    bar?.stop();
  }
}
