import type { Queryable } from '../db/index.js';
import { captureHolds } from './captureHolds.js';

/** Charges the task's frozen credits. Returns the amount charged, or null when the hold was already settled. */
export async function captureHold(tx: Queryable, taskId: string): Promise<number | null> {
  return (await captureHolds(tx, [taskId])).get(taskId) ?? null;
}
