import { advanceClaimed, askProvider, decideCheck, type ClaimedTask, type ProviderAnswer, type SettlementPath, type TaskDeps, type TaskRow } from '../tasks/index.js';
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
 * Asks the provider once about a processing task, classifies the answer with the pure rule advance uses, and hands
 * the same answer to advance: complete and charge, retry, fail and refund, or wait. So the action reported is the
 * action taken. A dry run classifies and writes nothing, not even a lease.
 */
export async function recheckProcessingTask(deps: TaskDeps, row: TaskRow & { lease_live: boolean }, options: RecheckOptions): Promise<Verdict> {
  if (row.lease_live) return { skipped: leaseReason(row) };
  if (options.dryRun) return { action: classify(row, await askProvider(deps, row)) };
  const claim = await options.claim();
  if (!claim) return { skipped: CLAIM_LOST };
  const answer = await askProvider(deps, claim.task);
  return act(classify(claim.task, answer), () => advanceClaimed(deps, claim, options.path, answer));
}

/** The decision advance takes for this task on this answer. */
export function classify(task: TaskRow, answer: ProviderAnswer, now = new Date()): RecoveryAction {
  return 'error' in answer ? 'provider_error' : decideCheck(task, answer.status, now).action;
}
