import { ProviderError } from '../providers/index.js';
import { recordLateResult, type TaskDeps, type TaskRow } from '../tasks/index.js';
import { act } from './tally.js';
import type { Verdict } from './types.js';

/** How long after a timeout-failure the provider is still asked whether the task delivered after all. */
export const LATE_RESULT_WINDOW_MS = 24 * 60 * 60_000;

/**
 * A task failed for timeout whose provider now reports success: the asset is stored and linked (late_result), the
 * user stays uncharged. Anything else is nothing to do; a provider error here is not counted, as nothing is at
 * stake (the task is settled and refunded) and the next run asks again.
 */
export async function recoverLateResult(deps: TaskDeps, task: TaskRow, dryRun: boolean): Promise<Verdict> {
  let resultUrls: string[];
  try {
    const status = await deps.providers.get(task.provider).status(task.provider_task_id!);
    if (status.state !== 'success') return null;
    resultUrls = status.resultUrls;
  } catch (err) {
    if (err instanceof ProviderError) return null;
    throw err;
  }
  if (dryRun) return { action: 'late_result' };
  return act('late_result', () => recordLateResult(deps, task.id, resultUrls));
}
