import { prepared, type Queryable } from '../../db/index.js';

const DELIVERED = prepared(
  'findDeliveredAsset',
  `SELECT 1 AS linked FROM tasks WHERE id = $1 AND $2 = ANY(asset_keys) AND (status = 'completed' OR late_result)`,
);

/** Whether the task links this file and has delivered it (completed, or a late result): only then is it served. */
export async function isDeliveredAsset(db: Queryable, taskId: string, key: string): Promise<boolean> {
  return (await db.query(DELIVERED, [taskId, key])).rowCount === 1;
}
