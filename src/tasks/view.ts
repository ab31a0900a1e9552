import { prepared, type Queryable } from '../db/index.js';
import type { AssetStore } from '../storage/index.js';
import { taskColumns } from './sql/taskColumns.js';
import type { TaskRow } from './types.js';

export interface TaskView {
  taskId: string;
  type: TaskRow['type'];
  model: string;
  status: TaskRow['status'];
  progress: number;
  assetUrl?: string;
  assetUrls?: string[];
  error?: { code: string; message: string };
  creditsHeld: number;
  creditsCharged: number;
  creditsRefunded: number;
  lateResult?: boolean;
  createdAt: string;
  completedAt?: string;
}

interface TaskWithHold extends TaskRow {
  hold_amount: number | null;
  hold_status: 'open' | 'captured' | 'released' | null;
}

const LOAD_VIEW = prepared(
  'loadTaskView',
  `SELECT ${taskColumns('t')}, h.amount AS hold_amount, h.status AS hold_status
     FROM tasks t LEFT JOIN credit_holds h ON h.task_id = t.id WHERE t.id = $1`,
);

/** The task as its owner sees it, with what the ledger did about it. */
export async function loadTaskView(db: Queryable, store: AssetStore, taskId: string): Promise<(TaskView & { userId: string }) | null> {
  const { rows } = await db.query<TaskWithHold>(LOAD_VIEW, [taskId]);
  const row = rows[0];
  if (!row) return null;
  const urls = await Promise.all(row.asset_keys.map((key) => store.url(key)));
  const amount = row.hold_amount ?? 0;
  return {
    userId: row.user_id,
    taskId: row.id,
    type: row.type,
    model: row.model,
    status: row.status,
    progress: row.progress,
    ...(urls.length > 0 && { assetUrl: urls[0], assetUrls: urls }),
    ...(row.error_code && { error: { code: row.error_code, message: row.error_message ?? row.error_code } }),
    creditsHeld: row.hold_status === 'open' ? amount : 0,
    creditsCharged: row.hold_status === 'captured' ? amount : 0,
    creditsRefunded: row.hold_status === 'released' ? amount : 0,
    ...(row.late_result && { lateResult: true }),
    createdAt: row.created_at.toISOString(),
    ...(row.completed_at && { completedAt: row.completed_at.toISOString() }),
  };
}
