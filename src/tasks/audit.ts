import type { Queryable } from '../db/index.js';
import { auditLedger, listHoldStates, type AuditViolation, type HoldState } from '../ledger/index.js';
import { listTaskStates, type TaskState } from './sql/listTaskStates.js';
import type { TaskStatus } from './types.js';

export type { AuditViolation } from '../ledger/index.js';

export interface AuditReport {
  ok: boolean;
  checkedAccounts: number;
  checkedTasks: number;
  violations: AuditViolation[];
}

/** The hold state each task state requires: charged once completed, refunded once failed or canceled, open while live. */
const HOLD_FOR: Record<TaskStatus, HoldState['status']> = {
  pending: 'open',
  processing: 'open',
  completed: 'captured',
  failed: 'released',
  canceled: 'released',
};

const PAGE = 5_000;

/**
 * `settle audit`: the ledger's own invariants, then that every task has exactly one hold (UNIQUE(task_id) rules out
 * two), for the same user, in the state the task's status requires. Tasks and holds are walked side by side in id
 * order, a page at a time, so memory stays flat however long the history. Exact only when each task's status change
 * commits in the same transaction as its hold's settlement; a settlement in flight while the walk passes may show.
 */
export async function audit(db: Queryable, options: { holdGraceMs?: number } = {}): Promise<AuditReport> {
  const ledger = await auditLedger(db, options);
  const { checkedTasks, violations } = await auditTaskHolds(db);
  const all = [...ledger.violations, ...violations];
  return { ok: all.length === 0, checkedAccounts: ledger.checkedAccounts, checkedTasks, violations: all };
}

async function auditTaskHolds(db: Queryable): Promise<{ checkedTasks: number; violations: AuditViolation[] }> {
  const violations: AuditViolation[] = [];
  const holds = pagesOf((after) => listHoldStates(db, after, PAGE), (h) => h.task_id);
  let hold = await holds.next();
  let checkedTasks = 0;
  for await (const task of pagesOf((after) => listTaskStates(db, after, PAGE), (t) => t.id)) {
    checkedTasks++;
    while (hold && hold.task_id < task.id) hold = await holds.next();
    const problem = holdProblem(task, hold?.task_id === task.id ? hold : undefined);
    if (problem) violations.push({ invariant: 'hold_matches_task', userId: task.user_id, taskId: task.id, detail: problem });
  }
  return { checkedTasks, violations };
}

function holdProblem(task: TaskState, hold: HoldState | undefined): string | null {
  if (!hold) return `${task.status} task has no hold`;
  if (hold.user_id !== task.user_id) return `task belongs to user ${task.user_id} but its hold to user ${hold.user_id}`;
  if (hold.status !== HOLD_FOR[task.status]) return `${task.status} task has its hold ${hold.status}, expected ${HOLD_FOR[task.status]}`;
  return null;
}

/** Every row of a keyset-paged list, one page in memory at a time; `next()` gives undefined at the end. */
function pagesOf<T>(page: (after: string | null) => Promise<T[]>, keyOf: (row: T) => string) {
  let rows: T[] = [];
  let at = 0;
  let after: string | null = null;
  let done = false;
  const next = async (): Promise<T | undefined> => {
    if (at === rows.length) {
      if (done) return undefined;
      rows = await page(after);
      at = 0;
      done = rows.length < PAGE;
      if (rows.length === 0) return undefined;
      after = keyOf(rows.at(-1)!);
    }
    return rows[at++];
  };
  return {
    next,
    async *[Symbol.asyncIterator]() {
      for (let row = await next(); row !== undefined; row = await next()) yield row;
    },
  };
}
