import type { Queryable } from '../db/index.js';

export interface HoldState {
  task_id: string;
  user_id: string;
  status: 'open' | 'captured' | 'released';
  /** The captured charge was given back (a refund entry for the task). */
  refunded: boolean;
}

/** Holds in task id order, a page at a time after the given task id (for audits that walk every hold). */
export async function listHoldStates(db: Queryable, afterTaskId: string | null, limit: number): Promise<HoldState[]> {
  const { rows } = await db.query<HoldState>(
    `SELECT h.task_id, h.user_id, h.status,
            EXISTS (SELECT 1 FROM credit_transactions r WHERE r.type = 'refund' AND r.reference_id = h.task_id::text) AS refunded
       FROM credit_holds h WHERE ($1::uuid IS NULL OR h.task_id > $1::uuid) ORDER BY h.task_id LIMIT $2`,
    [afterTaskId, limit],
  );
  return rows;
}
