import { ProviderError } from '../providers/index.js';
import { advanceClaimed, decideCheck, type ClaimedTask, type SettlementPath, type TaskDeps, type TaskRow } from '../tasks/index.js';
import { CLAIM_LOST, leaseReason } from './leaseReason.js';
import { act } from './tally.js';
import type { RecoveryAction, Verdict } from './types.js';

export interface RecheckOptions {
  dryRun: boolean;
  path: SettlementPath;
  /** Takes a lease under the caller's conditions (still stuck, ...); null when it cannot. */
  claim(): Promise<ClaimedTask | null>;
}

/**
 * Asks the provider about a processing task and acts on the answer through advance: complete and charge, retry,
 * fail and refund, or wait. `deps` must carry a status snapshot (withStatusSnapshot), so the action classified here
 * is exactly the one advance takes. A dry run classifies and writes nothing, not even a lease.
 */
export async function recheckProcessingTask(deps: TaskDeps, row: TaskRow & { lease_live: boolean }, options: RecheckOptions): Promise<Verdict> {
  if (row.lease_live) return { skipped: leaseReason(row) };
  if (options.dryRun) return { action: await classify(deps, row) };
  const claim = await options.claim();
  if (!claim) return { skipped: CLAIM_LOST };
  const action = await classify(deps, claim.task);
  return act(action, () => advanceClaimed(deps, claim, options.path));
}

/** The decision advance will take for this task, from the same pure function advance uses. */
export async function classify(deps: TaskDeps, task: TaskRow, now = new Date()): Promise<RecoveryAction> {
  try {
    const status = await deps.providers.get(task.provider).status(task.provider_task_id!);
    return decideCheck(task, status, now).action;
  } catch (err) {
    if (err instanceof ProviderError) return 'provider_error';
    throw err;
  }
}
