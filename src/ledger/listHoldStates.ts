import type { Queryable } from '../db/index.js';

export interface HoldState {
  task_id: string;
  user_id: string;
  status: 'open' | 'captured' | 'released';
}

/** Holds in task id order, a page at a time after the given task id (for audits that walk every hold). */
export async function listHoldStates(db: Queryable, afterTaskId: string | null, limit: number): Promise<HoldState[]> {
  const { rows } = await db.query<HoldState>(
    `SELECT task_id, user_id, status FROM credit_holds WHERE ($1::uuid IS NULL OR task_id > $1::uuid) ORDER BY task_id LIMIT $2`,
    [afterTaskId, limit],
  );
  return rows;
}
