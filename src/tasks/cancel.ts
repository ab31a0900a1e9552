import { cancelLiveTask } from './settle.js';
import { findTask } from './sql/findTask.js';
import type { SettlementPath, TaskDeps, TaskRow } from './types.js';

export type CancelResult = { canceled: true; task: TaskRow } | { canceled: false; task: TaskRow | null };

/** Cancels a pending or processing task and refunds it. A terminal task is left as it is and returned. */
export async function cancelTask(deps: TaskDeps, taskId: string, path: SettlementPath): Promise<CancelResult> {
  const canceled = await cancelLiveTask(deps, taskId, path);
  if (canceled) return { canceled: true, task: canceled };
  return { canceled: false, task: await findTask(deps.db, taskId) };
}
