import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../db/index.js';
import { priceOf, type ModelSpec } from '../providers/index.js';
import { InsufficientCreditsError } from '../ledger/index.js';
import { newLease } from './advance.js';
import { dispatchTask, sendStartedDispatch, type DispatchOutcome } from './dispatch.js';
import { unstorableInput } from './storableInput.js';
import { GroupCommit, onePerDatabase } from './groupCommit.js';
import { findTask, findTaskByIdempotencyKey } from './sql/findTask.js';
import { insertTasks, type NewTaskRow } from './sql/insertTasks.js';
import { IdempotencyConflictError, ProviderRejectedError, TaskInputError, type ClaimedTask, type TaskDeps, type TaskRow } from './types.js';

export interface SubmitInput {
  userId: string;
  /** The API key that submitted it (an admin key when acting for the user). */
  submittedBy?: string;
  type: 'video' | 'image';
  model: string;
  input: Record<string, unknown>;
  idempotencyKey?: string;
}

export interface SubmitResult {
  taskId: string;
  status: TaskRow['status'];
  creditsHeld: number;
  /** True when an earlier request with the same Idempotency-Key and body already created this task. */
  replayed: boolean;
}

/** What the submitting request learns from the dispatch, without reading the row back. */
const STATUS_AFTER: Partial<Record<DispatchOutcome, TaskRow['status']>> = {
  dispatched: 'processing',
  still_pending: 'pending',
  in_doubt: 'pending',
};

/**
 * The submitting request's lease covers the time until its createTask leaves (the dispatch then renews it for the
 * call), not an ingest; kept short so that a task whose submitter died before sending is picked up within seconds.
 * A task sent at once (sendsAtOnce) takes the whole lease with its insert, as the dispatch's start would.
 */
const SUBMIT_LEASE_MS = 30_000;

/** Past the last possible attempt plus a margin, an open hold means recovery itself failed; audit flags it. */
const HOLD_MARGIN_MS = 30 * 60_000;

/** Submissions inserted per statement at most. */
const MAX_GROUP = 100;

/**
 * Concurrent submissions of different users share one insert-and-hold statement (group commit); a user's second
 * submission waits for the next group, because a balance row is updated once per statement. Null: short of credits.
 */
const insertionsOf = onePerDatabase(
  (db) =>
    new GroupCommit<NewTaskRow, TaskRow | null>(
      async (group) => {
        const inserted = await insertTasks(db, group);
        return group.map((t) => inserted.get(t.id) ?? null);
      },
      { maxGroup: MAX_GROUP, distinctBy: (t) => t.userId },
    ),
);

/**
 * Check the input against the model (its type, its input schema), hold the matched price and insert the task in one statement, then make one provider call, waiting for its answer at most
 * SUBMIT_WAIT_MS: past that the caller answers 202 pending while the call goes on and is recorded when it answers. A
 * permanent rejection within the wait fails the task, releases the hold and throws.
 */
export async function submitTask(deps: TaskDeps, input: SubmitInput): Promise<SubmitResult> {
  const model = deps.catalog.find(input.model);
  if (!model) throw new TaskInputError(`Unknown model "${input.model}"`);
  if (model.type !== input.type) throw new TaskInputError(`Model "${model.id}" makes ${model.type}s, not ${input.type}s`);
  const unstorable = unstorableInput(input.input);
  if (unstorable) throw new TaskInputError(unstorable);
  // Before any credits are held: an input the model cannot take would only fail at the provider.
  const problem = deps.catalog.inputProblem(model, input.input);
  if (problem) throw new TaskInputError(problem);
  const requestHash = hashRequest(input);
  if (input.idempotencyKey) {
    const earlier = await findTaskByIdempotencyKey(deps.db, input.userId, input.idempotencyKey);
    if (earlier) return replay(earlier, requestHash);
  }
  const lease = newLease(deps);
  const atOnce = sendsAtOnce(deps);
  let task: TaskRow;
  try {
    task = await insertPendingTask(deps, input, model, requestHash, lease, atOnce);
  } catch (err) {
    // Two requests raced with one Idempotency-Key: the loser answers with the winner's task.
    const winner = input.idempotencyKey && isUniqueViolation(err) ? await findTaskByIdempotencyKey(deps.db, input.userId, input.idempotencyKey) : null;
    if (winner) return replay(winner, requestHash);
    throw err;
  }
  const outcome = await dispatchWithin(deps, { task, lease }, atOnce);
  const status = STATUS_AFTER[outcome];
  if (status) return { taskId: task.id, status, creditsHeld: task.price, replayed: false };
  const current = (await findTask(deps.db, task.id))!;
  if (outcome === 'failed') throw new ProviderRejectedError(task.id, current.error_message ?? 'The provider rejected the task');
  return { taskId: task.id, status: current.status, creditsHeld: current.price, replayed: false };
}

/**
 * The submission's dispatch, waited for at most SUBMIT_WAIT_MS: a provider that hangs must not hold the submitter
 * (the seeds' clients answer a user within 5 s). The call goes on, and its answer is recorded when it comes.
 */
async function dispatchWithin(deps: TaskDeps, claim: ClaimedTask, atOnce: boolean): Promise<DispatchOutcome> {
  const dispatching = atOnce ? sendStartedDispatch(deps, claim, 'submit') : dispatchTask(deps, claim, 'submit');
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'in_doubt'>((resolve) => (timer = setTimeout(() => resolve('in_doubt'), deps.submitWaitMs)));
  try {
    const outcome = await Promise.race([dispatching, waited]);
    if (outcome === 'in_doubt') {
      dispatching.catch((err: unknown) => deps.logger.error({ err, taskId: claim.task.id }, 'the background dispatch of a submission failed; the worker retries it'));
    }
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * With no provider rate limit and no per-user cap, nothing can hold a new task back from its provider: the insert
 * records its first attempt and send time, and the createTask follows without another write. A process that dies
 * between the two leaves the task in doubt (DISPATCH_DOUBT_MS), as one dying during the call does.
 */
const sendsAtOnce = (deps: TaskDeps): boolean => !deps.dispatchSlots.limited && deps.userMaxActiveTasks === 0;

/** Inserts the task with its hold, in a group with other users' submissions. Throws InsufficientCreditsError. */
async function insertPendingTask(deps: TaskDeps, input: SubmitInput, model: ModelSpec, requestHash: string, lease: string, atOnce: boolean): Promise<TaskRow> {
  const price = priceOf(model, input.input);
  const task = await insertionsOf(deps.db).run({
    id: randomUUID(), userId: input.userId, type: model.type, model: model.id, provider: model.provider,
    input: input.input, price, maxAttempts: model.maxAttempts, timeoutMs: model.timeoutMs,
    idempotencyKey: input.idempotencyKey, requestHash, submittedBy: input.submittedBy,
    lease, leaseMs: atOnce ? deps.leaseMs : Math.min(deps.leaseMs, SUBMIT_LEASE_MS), dispatchStarted: atOnce,
    pendingDeadlineMs: deps.pendingDeadlineMs,
    holdExpiresAt: new Date(Date.now() + model.timeoutMs * (model.maxAttempts + 1) + HOLD_MARGIN_MS),
  });
  if (!task) throw new InsufficientCreditsError(input.userId, price);
  return task;
}

function replay(earlier: TaskRow, requestHash: string): SubmitResult {
  if (earlier.request_hash !== requestHash) throw new IdempotencyConflictError(earlier.id);
  return { taskId: earlier.id, status: earlier.status, creditsHeld: earlier.price, replayed: true };
}

function hashRequest(input: SubmitInput): string {
  return createHash('sha256').update(canonicalJson({ type: input.type, model: input.model, input: input.input })).digest('hex');
}

/** JSON with sorted keys, so {a,b} and {b,a} are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
