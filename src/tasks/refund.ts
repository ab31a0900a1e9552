import type { Db } from '../db/index.js';
import { findChargeRefund, refundCharge, type ChargeRefund } from '../ledger/index.js';
import { findTask } from './sql/findTask.js';
import { markTaskRefunded } from './sql/markTaskRefunded.js';
import { NotRefundableError, type RefundHook, type TaskRow } from './types.js';

export interface TaskRefund {
  task: TaskRow;
  refund: ChargeRefund;
  /** True when the task had been refunded before: nothing changed, and this is that refund. */
  replayed: boolean;
}

/**
 * An admin gives a completed task's charge back: the task is marked refunded and the ledger writes a refund entry
 * of the charged amount, in one transaction (the refund hook's writes too). Once only: a second call answers the
 * first refund. Null when there is no such task; NotRefundableError when it was never charged (not completed).
 */
export async function refundTask(deps: { db: Db; onRefunded?: RefundHook }, taskId: string, reason: string): Promise<TaskRefund | null> {
  const made = await deps.db.transaction(async (tx) => {
    const task = await markTaskRefunded(tx, taskId, reason);
    if (!task) return null;
    const refund = await refundCharge(tx, taskId, reason);
    // A completed task always has its captured charge: the audit checks it, and the CHECK on tasks keeps the mark honest.
    if (!refund) throw new Error(`completed task ${taskId} has no charge to refund`);
    await deps.onRefunded?.(tx, task);
    return { task, refund, replayed: false };
  });
  if (made) return made;
  const task = await findTask(deps.db, taskId);
  if (!task) return null;
  const refund = task.refunded_at ? await findChargeRefund(deps.db, taskId) : null;
  if (!refund) throw new NotRefundableError(taskId, task.status);
  return { task, refund, replayed: true };
}

/** A refund as the admin API and `settle refund` report it. */
export function refundView({ task, refund }: TaskRefund) {
  return {
    taskId: task.id,
    userId: task.user_id,
    transactionId: refund.transactionId,
    creditsRefunded: refund.amount,
    reason: refund.reason,
    refundedAt: (task.refunded_at ?? refund.createdAt).toISOString(),
    balance: refund.balance,
    frozen: refund.frozen,
    available: refund.available,
  };
}
