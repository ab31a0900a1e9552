import type { Queryable } from '../db/index.js';
import { foldRunCounts } from './sql/foldRunCounts.js';
import { selectRunCounts, type RunCountRow } from './sql/selectRunCounts.js';

/** Every run counted by job, status and duration bucket, as the rows stand, without scanning the run history. */
export async function readRunCounts(db: Queryable): Promise<RunCountRow[]> {
  await foldRunCounts(db);
  return selectRunCounts(db);
}
