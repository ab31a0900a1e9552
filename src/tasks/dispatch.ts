import { isUniqueViolation, type Queryable } from '../db/index.js';
import { ProviderError } from '../providers/index.js';
import { nextCheckDelay } from './backoff.js';
import { decideDispatch } from './decide.js';
import { fencedGroupCommit } from './groupCommit.js';
import { failTask } from './settle.js';
import { countTasksAtProvider } from './sql/claimDueTasks.js';
import { markDispatchStarted, recordDispatches, rescheduleTask, type Dispatch, type Reschedule } from './sql/fencedUpdates.js';
import type { ClaimedTask, SettlementPath, TaskDeps } from './types.js';

/**
 * dispatched: the provider accepted it (processing). still_pending: not sent now (no dispatch slot, or the provider
 * refused for now). in_doubt: a createTask left and its answer was lost; the task waits for a callback to adopt the
 * provider task or for DISPATCH_DOUBT_MS. failed: refused for good, past its deadline or out of attempts (refunded).
 */
export type DispatchOutcome = 'dispatched' | 'still_pending' | 'in_doubt' | 'failed' | 'fenced';

/** Acceptances recorded per statement at most. */
const MAX_GROUP = 200;

/** Acceptances of concurrent submissions share one fenced statement (group commit); each row keeps its own lease. */
const acceptancesOf = fencedGroupCommit<Dispatch>(recordDispatches, { maxGroup: MAX_GROUP });

/**
 * Sends a claimed task to its provider, if it may be sent now (decideDispatch). The attempt and its send time are
 * recorded before the call, so a call whose answer is lost leaves the task in doubt rather than free to be sent again
 * (a second provider task the operator would pay for).
 */
export async function dispatchTask(deps: TaskDeps, claim: ClaimedTask, path: SettlementPath): Promise<DispatchOutcome> {
  const { task } = claim;
  const decision = decideDispatch(task, deps.dispatchDoubtMs);
  if (decision.action === 'fail') return (await failTask(deps, claim, decision, path)) ? 'failed' : 'fenced';
  if (decision.action === 'wait') return reschedule(deps, claim, 'in_doubt', { delayMs: decision.waitMs, status: backToPending(deps) });
  const slotWaitMs = await deps.dispatchSlots.take(task.provider);
  if (slotWaitMs > 0) return reschedule(deps, claim, 'still_pending', { delayMs: slotWaitMs, status: backToPending(deps) });
  const started = await startDispatch(deps, claim);
  if (started === 'at_cap') return reschedule(deps, claim, 'still_pending', { delayMs: deps.pollMinMs, status: backToPending(deps) });
  if (started === 'fenced') return 'fenced';
  return sendStartedDispatch(deps, claim, path);
}

/** The createTask of a task whose attempt and send time are already recorded, and what its answer means. */
export async function sendStartedDispatch(deps: TaskDeps, claim: ClaimedTask, path: SettlementPath): Promise<DispatchOutcome> {
  const { task } = claim;
  try {
    const { providerTaskId } = await deps.providers.get(task.provider).submit({
      taskId: task.id,
      model: task.model,
      input: task.input,
      callbackUrl: deps.callbackBaseUrl ? `${deps.callbackBaseUrl}/api/webhooks/${task.provider}?task=${task.id}` : undefined,
    });
    return await recordAcceptance(deps, claim, providerTaskId);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return dispatchFailed(deps, claim, err, path);
  }
}

/**
 * Records the dispatch's start (markDispatchStarted). Under USER_MAX_ACTIVE_TASKS the user's dispatches are
 * serialised (a transaction-scoped advisory lock on the user), so concurrent submissions of one user cannot all see
 * room and overshoot the cap: a user at the cap gets 'at_cap', and the task waits its turn.
 */
async function startDispatch(deps: TaskDeps, claim: ClaimedTask): Promise<'started' | 'at_cap' | 'fenced'> {
  const { task, lease } = claim;
  const mark = async (tx: Queryable) =>
    (await markDispatchStarted(tx, task.id, lease, deps.leaseMs, deps.pendingDeadlineMs)) ? 'started' : 'fenced';
  if (deps.userMaxActiveTasks === 0) return mark(deps.db);
  return deps.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`settle-user-dispatch:${task.user_id}`]);
    if ((await countTasksAtProvider(tx, task.user_id, task.id)) >= deps.userMaxActiveTasks) return 'at_cap';
    return mark(tx);
  });
}

async function recordAcceptance(deps: TaskDeps, claim: ClaimedTask, providerTaskId: string): Promise<DispatchOutcome> {
  const dispatch = { taskId: claim.task.id, lease: claim.lease, providerTaskId, firstCheckMs: deps.pollMinMs };
  try {
    if (await acceptancesOf(deps.db).run(dispatch)) return 'dispatched';
  } catch (err) {
    // The provider answered with an id another task already holds: never attach one provider task to two tasks.
    if (!isUniqueViolation(err)) throw err;
    deps.logger.error({ taskId: claim.task.id, providerTaskId }, 'the provider answered with a task id another task holds; not recorded');
    return 'fenced';
  }
  deps.logger.warn({ taskId: claim.task.id, providerTaskId }, 'lease lost after the provider accepted the task (a callback adopted it, or it was canceled)');
  return 'fenced';
}

async function dispatchFailed(deps: TaskDeps, claim: ClaimedTask, err: ProviderError, path: SettlementPath): Promise<DispatchOutcome> {
  const { task } = claim;
  if (err.kind === 'permanent') {
    return (await failTask(deps, claim, { code: 'provider_rejected', message: err.message }, path)) ? 'failed' : 'fenced';
  }
  const providerError = `${err.code}: ${err.message}`;
  if (err.inDoubt) {
    deps.logger.warn({ taskId: task.id, code: err.code }, 'createTask answer lost; the task is in doubt until a callback adopts it or DISPATCH_DOUBT_MS passes');
    return reschedule(deps, claim, 'in_doubt', { delayMs: deps.dispatchDoubtMs, providerError, status: backToPending(deps), dispatch: 'in_doubt' });
  }
  deps.logger.warn({ taskId: task.id, code: err.code }, 'dispatch refused for now; the task stays pending');
  const delayMs = err.retryAfterMs ?? nextCheckDelay(task.check_count, deps.pollMinMs, deps.pollMaxMs);
  return reschedule(deps, claim, 'still_pending', { delayMs, providerError, status: backToPending(deps), dispatch: 'refused' });
}

const backToPending = (deps: TaskDeps) => ({ to: 'pending' as const, pendingDeadlineMs: deps.pendingDeadlineMs });

async function reschedule(deps: TaskDeps, claim: ClaimedTask, outcome: DispatchOutcome, change: Reschedule): Promise<DispatchOutcome> {
  return (await rescheduleTask(deps.db, claim.task.id, claim.lease, change)) ? outcome : 'fenced';
}
