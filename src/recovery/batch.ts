import pLimit from 'p-limit';
import type { RunProgress } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { Tally } from './tally.js';
import type { Verdict } from './types.js';

/**
 * Handles every task with bounded concurrency. One task's failure is logged and counted as an error; it never stops
 * the batch, and a lease it held simply expires.
 */
export async function handleEach<T extends { id: string }>(
  items: readonly T[],
  options: { concurrency: number; tally: Tally; logger: Logger; progress?: RunProgress },
  handle: (item: T) => Promise<Verdict>,
): Promise<void> {
  const limit = pLimit(options.concurrency);
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        try {
          options.tally.add(item.id, await handle(item));
        } catch (err) {
          options.logger.error({ err, taskId: item.id }, 'recovery of a task failed; the batch goes on');
          options.tally.error(item.id, err);
        }
        options.progress?.handled();
      }),
    ),
  );
}
