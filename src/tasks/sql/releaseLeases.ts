import type { Queryable } from '../../db/index.js';
import { RELEASE_LEASE } from './lease.js';

/** Gives claimed tasks back at once instead of letting their leases run out; only rows still under this lease. */
export async function releaseLeases(db: Queryable, taskIds: string[], lease: string): Promise<number> {
  if (taskIds.length === 0) return 0;
  const res = await db.query(`UPDATE tasks SET ${RELEASE_LEASE} WHERE id = ANY($1::uuid[]) AND lease_owner = $2`, [taskIds, lease]);
  return res.rowCount;
}
