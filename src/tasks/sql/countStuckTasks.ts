import { agoMs, type Queryable } from '../../db/index.js';

/** Live tasks (pending or processing) older than olderThanMs in their current state, for the alert rules. */
export async function countStuckTasks(db: Queryable, olderThanMs: number): Promise<number> {
  const { rows } = await db.query<{ count: number }>(
    `SELECT count(*)::integer AS count FROM tasks
      WHERE status IN ('pending', 'processing') AND coalesce(processing_started_at, created_at) < ${agoMs('$1')}`,
    [olderThanMs],
  );
  return rows[0]!.count;
}
