import type { Queryable } from '../db/index.js';
import { foldTaskCounts } from './sql/foldTaskCounts.js';
import { selectTaskCounts, type TaskCountRow } from './sql/selectTaskCounts.js';

/**
 * Every task counted by status, settlement path and latency bucket, exactly as the rows stand, at a cost that does
 * not grow with history: the counters are kept by migration 0018's triggers, folded here first.
 */
export async function readTaskCounts(db: Queryable): Promise<TaskCountRow[]> {
  await foldTaskCounts(db);
  return selectTaskCounts(db);
}
