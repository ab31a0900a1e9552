import { randomUUID } from 'node:crypto';
import { ProviderError, type ProviderStatus } from '../providers/index.js';
import { nextCheckDelay } from './backoff.js';
import { decideCheck } from './decide.js';
import { dispatchTask } from './dispatch.js';
import { deleteAssets, ingestResults, LeaseLostError } from './ingest.js';
import { completeTask, failTask } from './settle.js';
import { claimTask } from './sql/claimTask.js';
import { findTask } from './sql/findTask.js';
import { rescheduleTask, type Reschedule } from './sql/fencedUpdates.js';
import type { ClaimedTask, SettlementPath, TaskDeps, TaskRow } from './types.js';

export type AdvanceOutcome =
  | 'not_found'
  | 'terminal'
  | 'busy'
  | 'dispatched'
  | 'still_pending'
  | 'in_doubt'
  | 'ready'
  | 'running'
  | 'completed'
  | 'failed'
  | 'retried'
  | 'provider_error'
  | 'fenced';

export function newLease(deps: TaskDeps): string {
  return `${deps.instanceId}:${randomUUID()}`;
}

/**
 * The one way a task moves forward, whoever asks (status poll, webhook, worker, reconciler, admin): take the lease,
 * ask the provider, then dispatch, reschedule, settle or retry. Every write is fenced by the lease.
 */
export async function advanceTask(deps: TaskDeps, taskId: string, path: SettlementPath, known?: ProviderAnswer): Promise<AdvanceOutcome> {
  const lease = newLease(deps);
  const task = await claimTask(deps.db, taskId, lease, deps.leaseMs);
  if (!task) return whyNotClaimed(deps, taskId);
  return advanceClaimed(deps, { task, lease }, path, known);
}

/**
 * Advances a task this caller has already claimed (the worker and recovery claim in batches). `known` is the
 * provider's answer about a processing task when the caller already asked (a recovery run classifies each task by
 * it): the provider is asked once per task, and the action reported is the action taken.
 */
export async function advanceClaimed(deps: TaskDeps, claim: ClaimedTask, path: SettlementPath, known?: ProviderAnswer): Promise<AdvanceOutcome> {
  if (claim.task.status === 'pending') {
    // A status poll never makes a createTask in the reader's request: the worker dispatches.
    if (path === 'poll') return reschedule(deps, claim, { delayMs: 0 }, 'still_pending');
    return dispatchTask(deps, claim, path);
  }
  return checkProcessing(deps, claim, path, known ?? (await askProvider(deps, claim.task)));
}

/** What the provider says about a processing task: its status, or the provider error that kept it from saying. */
export type ProviderAnswer = { status: ProviderStatus } | { error: ProviderError };

export async function askProvider(deps: TaskDeps, task: TaskRow): Promise<ProviderAnswer> {
  try {
    return { status: await deps.providers.get(task.provider).status(task.provider_task_id!) };
  } catch (err) {
    if (err instanceof ProviderError) return { error: err };
    throw err;
  }
}

async function whyNotClaimed(deps: TaskDeps, taskId: string): Promise<AdvanceOutcome> {
  const current = await findTask(deps.db, taskId);
  if (!current) return 'not_found';
  return current.status === 'pending' || current.status === 'processing' ? 'busy' : 'terminal';
}

async function checkProcessing(deps: TaskDeps, claim: ClaimedTask, path: SettlementPath, answer: ProviderAnswer): Promise<AdvanceOutcome> {
  if ('error' in answer) return providerTrouble(deps, claim, answer.error);
  const decision = decideCheck(claim.task, answer.status);
  switch (decision.action) {
    case 'complete':
      if (path === 'poll') return ingestInBackground(deps, claim, decision.resultUrls, decision.completedAt);
      return ingestAndComplete(deps, claim, decision.resultUrls, decision.completedAt, path);
    case 'retry':
      return retry(deps, claim, decision.code, path);
    case 'fail':
      return (await failTask(deps, claim, decision, path)) ? 'failed' : 'fenced';
    case 'wait':
      return reschedule(deps, claim, { progress: decision.progress, delayMs: checkDelay(deps, claim) });
  }
}

/**
 * A status poll never downloads in the reader's request (a large result would hold it for minutes): the poll's claim
 * stores and settles the result in the background, renewing its lease as any ingest does, and the reader sees
 * `completed` on a later poll.
 */
function ingestInBackground(deps: TaskDeps, claim: ClaimedTask, urls: string[], completedAt: Date): AdvanceOutcome {
  ingestAndComplete(deps, claim, urls, completedAt, 'poll').then(
    (outcome) => deps.logger.debug({ taskId: claim.task.id, outcome }, 'result stored after a status poll'),
    (err: unknown) => deps.logger.error({ err, taskId: claim.task.id }, 'storing a result found by a status poll failed; its lease runs out and recovery retries'),
  );
  return 'ready';
}

async function ingestAndComplete(deps: TaskDeps, claim: ClaimedTask, urls: string[], completedAt: Date, path: SettlementPath): Promise<AdvanceOutcome> {
  let keys: string[];
  try {
    keys = await ingestResults(deps, claim.task, urls, claim);
  } catch (err) {
    if (err instanceof LeaseLostError) return 'fenced';
    if (err instanceof ProviderError && err.code === 'result_refused') {
      return (await failTask(deps, claim, { code: 'result_refused', message: err.message }, path)) ? 'failed' : 'fenced';
    }
    return providerTrouble(deps, claim, err);
  }
  if (await completeTask(deps, claim, keys, completedAt, path)) return 'completed';
  // Canceled or taken over while the files came in: nobody will link them, so nobody may fetch them.
  await deleteAssets(deps, keys);
  return 'fenced';
}

async function retry(deps: TaskDeps, claim: ClaimedTask, reason: string, path: SettlementPath): Promise<AdvanceOutcome> {
  deps.logger.info({ taskId: claim.task.id, attempt: claim.task.attempts + 1, reason }, 'resubmitting task to the provider');
  const outcome = await dispatchTask(deps, claim, path);
  return outcome === 'dispatched' ? 'retried' : outcome;
}

const checkDelay = (deps: TaskDeps, claim: ClaimedTask) => nextCheckDelay(claim.task.check_count, deps.pollMinMs, deps.pollMaxMs);

async function reschedule(deps: TaskDeps, claim: ClaimedTask, change: Reschedule, outcome: AdvanceOutcome = 'running'): Promise<AdvanceOutcome> {
  return (await rescheduleTask(deps.db, claim.task.id, claim.lease, change)) ? outcome : 'fenced';
}

async function providerTrouble(deps: TaskDeps, claim: ClaimedTask, err: unknown): Promise<AdvanceOutcome> {
  if (!(err instanceof ProviderError)) throw err;
  deps.logger.warn({ taskId: claim.task.id, code: err.code }, 'provider error while advancing task');
  const delayMs = err.retryAfterMs ?? checkDelay(deps, claim);
  return reschedule(deps, claim, { delayMs, providerError: `${err.code}: ${err.message}` }, 'provider_error');
}
