import type { Task } from '../client/types.js';
import type { Queryable } from '../db/index.js';
import type { AssetStore } from '../storage/index.js';
import { findTask } from './sql/findTask.js';
import type { TaskRow } from './types.js';

/**
 * The task as GET /api/v1/tasks/:taskId, its event stream and the outgoing webhooks report it. The wire shape is
 * declared once, by the client that apps import, so the server cannot drift from what the client promises.
 */
export type TaskView = Task;

/**
 * The task as its owner sees it, with what the ledger did about it. The task's price is its hold's amount, and its
 * status says the hold's state (held while live, charged once completed, refunded once failed or canceled), and
 * refunded_at says an admin gave the charge back: each changes in one transaction with the ledger, and
 * `settle audit` checks that they agree.
 */
export async function loadTaskView(db: Queryable, store: AssetStore, taskId: string): Promise<(TaskView & { userId: string }) | null> {
  const row = await findTask(db, taskId);
  return row ? taskView(row, store) : null;
}

/** The view of a row already read (a settlement's webhook events are built from the rows it settled). */
export async function taskView(row: TaskRow, store: AssetStore): Promise<TaskView & { userId: string }> {
  const urls = await Promise.all(row.asset_keys.map((key) => store.url(key)));
  const credits = (when: boolean) => (when ? row.price : 0);
  return {
    userId: row.user_id,
    taskId: row.id,
    type: row.type,
    model: row.model,
    status: row.status,
    progress: row.progress,
    ...(urls.length > 0 && { assetUrl: urls[0], assetUrls: urls }),
    ...(row.error_code && { error: { code: row.error_code, message: row.error_message ?? row.error_code } }),
    creditsHeld: credits(row.status === 'pending' || row.status === 'processing'),
    creditsCharged: credits(row.status === 'completed'),
    creditsRefunded: credits(row.status === 'failed' || row.status === 'canceled' || row.refunded_at !== null),
    ...(row.refunded_at && { refundedAt: row.refunded_at.toISOString() }),
    ...(row.late_result && { lateResult: true }),
    ...(row.pruned_at && { prunedAt: row.pruned_at.toISOString() }),
    createdAt: row.created_at.toISOString(),
    ...(row.completed_at && { completedAt: row.completed_at.toISOString() }),
  };
}
