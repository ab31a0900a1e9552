import type { Db, Queryable } from '../db/index.js';
import { captureHolds } from '../ledger/index.js';
import { markCompletedMany, type Completion } from './sql/markCompletedMany.js';
import type { SettledTask, SettlementHook, TaskRow } from './types.js';

/** Completions settled per transaction at most. */
const MAX_BATCH = 200;

export interface PendingCompletion extends Completion {
  onSettled?: SettlementHook;
  resolve(task: TaskRow | null): void;
  reject(err: unknown): void;
}

/** Settles one completion alone, with its own error (the path every completion took before batching). */
export type SettleOne = (completion: PendingCompletion) => Promise<TaskRow | null>;

/**
 * Group commit for completions: those that arrive while a settlement transaction is in flight are settled together
 * in the next one (mark completed, capture, hooks, commit). A lone completion still commits at once. If a batch
 * fails for any reason (a hold that is not open, a database error), it is rolled back whole and each completion is
 * settled alone, so one task's problem is reported for that task only and never blocks or undoes the others.
 */
export class CompletionBatcher {
  private queue: PendingCompletion[] = [];
  private flushing = false;

  constructor(private readonly db: Db, private readonly settleOne: SettleOne) {}

  complete(completion: Completion, onSettled: SettlementHook | undefined): Promise<TaskRow | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...completion, onSettled, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.settle(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async settle(batch: PendingCompletion[]): Promise<void> {
    if (batch.length === 1) return settleAlone(this.settleOne, batch[0]!);
    let settled: Map<string, TaskRow>;
    try {
      settled = await this.db.transaction((tx) => settleTogether(tx, batch));
    } catch {
      await Promise.all(batch.map((p) => settleAlone(this.settleOne, p)));
      return;
    }
    for (const p of batch) p.resolve(settled.get(p.taskId) ?? null);
  }
}

async function settleAlone(settleOne: SettleOne, p: PendingCompletion): Promise<void> {
  await settleOne(p).then(p.resolve, p.reject);
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
