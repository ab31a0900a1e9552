import type { Db, Queryable } from '../db/index.js';
import { captureHolds } from '../ledger/index.js';
import { GroupCommit } from './groupCommit.js';
import { markCompletedMany, type Completion } from './sql/markCompletedMany.js';
import type { SettledTask, SettlementHook, TaskRow } from './types.js';

/** Completions settled per transaction at most. */
const MAX_BATCH = 200;
/** A second transaction starts beside the one in flight only for this many completions (its five round trips). */
const MIN_GROUP_BESIDE = 8;

export interface PendingCompletion extends Completion {
  onSettled?: SettlementHook;
}

/** Settles one completion alone, with its own error (the path every completion took before batching). */
export type SettleOne = (completion: PendingCompletion) => Promise<TaskRow | null>;

/**
 * Group commit for completions (mark completed, capture, hooks, commit). If a batch fails for any reason (a hold
 * that is not open, a database error), it is rolled back whole and each completion is settled alone.
 */
export function completionBatcher(db: Db, settleOne: SettleOne): GroupCommit<PendingCompletion, TaskRow | null> {
  const settleGroup = async (batch: PendingCompletion[]) => {
    const settled = await db.transaction((tx) => settleTogether(tx, batch));
    return batch.map((c) => settled.get(c.taskId) ?? null);
  };
  // Two groups may run at once: their tasks and holds are distinct, and the capture locks accounts in user order.
  return new GroupCommit(settleGroup, { maxGroup: MAX_BATCH, runOne: settleOne, maxInFlight: 2, minGroupBeside: MIN_GROUP_BESIDE });
}

async function settleTogether(tx: Queryable, batch: PendingCompletion[]): Promise<Map<string, TaskRow>> {
  const tasks = await markCompletedMany(tx, batch);
  const charged = await captureHolds(tx, tasks.map((t) => t.id));
  // A completed task whose hold is not open means the ledger and the task disagree: the whole batch rolls back and
  // the per-task path reports it.
  if (charged.size !== tasks.length) throw new Error('a hold in the batch is not open');
  const byId = new Map(tasks.map((t) => [t.id, t]));
  await runHooks(tx, batch, byId);
  return byId;
}

/** Each hook once, with all the settled tasks that asked for it (in practice one hook: the completion e-mails). */
async function runHooks(tx: Queryable, batch: PendingCompletion[], settled: Map<string, TaskRow>): Promise<void> {
  const byHook = new Map<SettlementHook, SettledTask[]>();
  for (const p of batch) {
    const task = settled.get(p.taskId);
    if (!task || !p.onSettled) continue;
    const list = byHook.get(p.onSettled) ?? [];
    list.push({ task, path: p.path });
    byHook.set(p.onSettled, list);
  }
  for (const [hook, list] of byHook) await hook(tx, list);
}
