import type { Queryable } from '../db/index.js';
import { auditLedger, listHoldStates, type AuditViolation, type HoldState } from '../ledger/index.js';
import { taskIdOfAssetKey, type AssetStore } from '../storage/index.js';
import { findAssetOwners, findTaskViolations } from './sql/auditTasks.js';
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

export interface AuditOptions {
  holdGraceMs?: number;
  /** Where result files live: with it, every stored file must be linked by the task its key names. */
  store?: AssetStore;
}

/**
 * `settle audit`: the ledger's own invariants; that every task has exactly one hold (UNIQUE(task_id) rules out two),
 * for the same user, in the state the task's status requires; that only delivered tasks link files and no two tasks
 * share a provider task; and, given the store, that no stored file is unlinked unless an ingest for its task may be
 * running. Tasks, holds and files are walked a page at a time, so memory stays flat however long the history. Exact
 * only when each task's status change commits in the same transaction as its hold's settlement; a settlement in
 * flight while the walk passes may show.
 */
export async function audit(db: Queryable, options: AuditOptions = {}): Promise<AuditReport> {
  const ledger = await auditLedger(db, options);
  const holds = await auditTaskHolds(db);
  const own = (await findTaskViolations(db)).map(toViolation);
  const files = options.store ? await auditStoredFiles(db, options.store) : [];
  const all = [...ledger.violations, ...holds.violations, ...own, ...files];
  return { ok: all.length === 0, checkedAccounts: ledger.checkedAccounts, checkedTasks: holds.checkedTasks, violations: all };
}

function toViolation(row: { invariant: string; user_id: string | null; task_id: string | null; detail: string }): AuditViolation {
  return { invariant: row.invariant, detail: row.detail, ...(row.user_id && { userId: row.user_id }), ...(row.task_id && { taskId: row.task_id }) };
}

const FILE_PAGE = 1_000;

async function auditStoredFiles(db: Queryable, store: AssetStore): Promise<AuditViolation[]> {
  const violations: AuditViolation[] = [];
  let page: string[] = [];
  const check = async () => {
    violations.push(...(await unlinkedFiles(db, page)));
    page = [];
  };
  for await (const key of store.list()) {
    page.push(key);
    if (page.length === FILE_PAGE) await check();
  }
  await check();
  return violations;
}

async function unlinkedFiles(db: Queryable, keys: string[]): Promise<AuditViolation[]> {
  const taskIds = [...new Set(keys.map(taskIdOfAssetKey).filter((id): id is string => id !== null))];
  const owners = new Map((await findAssetOwners(db, taskIds)).map((t) => [t.id, t]));
  return keys.flatMap((key) => {
    const owner = owners.get(taskIdOfAssetKey(key) ?? '');
    if (owner?.asset_keys.includes(key) || owner?.ingesting) return [];
    const detail = owner ? `stored file ${key} is not linked by its task` : `stored file ${key} belongs to no task`;
    return [{ invariant: 'every_file_linked', detail, ...(owner && { userId: owner.user_id, taskId: owner.id }) }];
  });
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
  // A refunded completed task keeps its captured hold: the refund is a journal entry of its own, made with the mark.
  if (hold.refunded !== task.refunded) return task.refunded ? 'task is marked refunded but its charge was not refunded' : "task's charge was refunded but the task is not marked refunded";
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
