import { ProviderError } from '../providers/index.js';
import { nextCheckDelay } from './backoff.js';
import { neverAcceptedInTime } from './decide.js';
import { GroupCommit, onePerDatabase } from './groupCommit.js';
import { failTask } from './settle.js';
import { recordDispatches, rescheduleTask, type Dispatch } from './sql/fencedUpdates.js';
import type { ClaimedTask, SettlementPath, TaskDeps } from './types.js';

export type DispatchOutcome = 'dispatched' | 'still_pending' | 'failed' | 'fenced';

/** Acceptances recorded per statement at most. */
const MAX_GROUP = 200;

/** Acceptances of concurrent submissions share one fenced statement (group commit); each row keeps its own lease. */
const acceptancesOf = onePerDatabase(
  (db) =>
    new GroupCommit<Dispatch, boolean>(async (group) => {
      const held = await recordDispatches(db, group);
      return group.map((d) => held.has(d.taskId));
    }, { maxGroup: MAX_GROUP }),
);

/**
 * Sends a claimed task to its provider. Accepted: processing. Transient error: stays pending, due again later.
 * Permanent rejection, or no acceptance within the model's timeout: failed and refunded.
 */
export async function dispatchTask(deps: TaskDeps, claim: ClaimedTask, path: SettlementPath): Promise<DispatchOutcome> {
  const { task, lease } = claim;
  if (neverAcceptedInTime(task)) {
    const failed = await failTask(deps, claim, { code: 'dispatch_timeout', message: 'The provider did not accept the task before its timeout' }, path);
    return failed ? 'failed' : 'fenced';
  }
  try {
    const { providerTaskId } = await deps.providers.get(task.provider).submit({
      taskId: task.id,
      model: task.model,
      input: task.input,
      callbackUrl: deps.callbackBaseUrl ? `${deps.callbackBaseUrl}/api/webhooks/${task.provider}?task=${task.id}` : undefined,
    });
    const updated = await acceptancesOf(deps.db).run({ taskId: task.id, lease, providerTaskId, firstCheckMs: deps.pollMinMs });
    if (!updated) deps.logger.warn({ taskId: task.id, providerTaskId }, 'lease lost after the provider accepted the task');
    return updated ? 'dispatched' : 'fenced';
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    if (err.kind === 'permanent') {
      const failed = await failTask(deps, claim, { code: 'provider_rejected', message: err.message }, path);
      return failed ? 'failed' : 'fenced';
    }
    deps.logger.warn({ taskId: task.id, code: err.code }, 'dispatch failed transiently; the task stays pending');
    const delayMs = err.retryAfterMs ?? nextCheckDelay(task.check_count, deps.pollMinMs, deps.pollMaxMs);
    const rescheduled = await rescheduleTask(deps.db, task.id, lease, { delayMs, providerError: err.message, status: 'pending' });
    return rescheduled ? 'still_pending' : 'fenced';
  }
}
