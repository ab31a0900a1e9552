import { filterOnly, prepared, type Queryable } from '../../db/index.js';
import type { SettlementPath, TaskRow } from '../types.js';
import { taskColumns } from './taskColumns.js';

const MARK_COMPLETED = prepared(
  'markCompletedMany',
  `UPDATE tasks t SET status = 'completed', progress = 100,
          asset_keys = ARRAY(SELECT jsonb_array_elements_text(c.asset_keys)), ingest_keys = '{}',
          provider_completed_at = c.provider_completed_at, completed_at = now(), settled_by = c.path,
          next_check_at = NULL, last_checked_at = now(), lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
     FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::text[])
          AS c(id, lease, asset_keys, provider_completed_at, path)
    WHERE t.id = c.id AND t.lease_owner = c.lease AND ${filterOnly("t.status = 'processing'")}
    RETURNING ${taskColumns('t')}`,
);

export interface Completion {
  taskId: string;
  lease: string;
  assetKeys: string[];
  providerCompletedAt: Date;
  path: SettlementPath;
}

/**
 * Marks tasks completed in one statement (one task or a batch). Each row is fenced by its own lease token: a task
 * whose lease was lost, or that is no longer processing, is simply not returned.
 */
export async function markCompletedMany(tx: Queryable, completions: readonly Completion[]): Promise<TaskRow[]> {
  const { rows } = await tx.query<TaskRow>(
    MARK_COMPLETED,
    [
      completions.map((c) => c.taskId),
      completions.map((c) => c.lease),
      completions.map((c) => JSON.stringify(c.assetKeys)),
      completions.map((c) => c.providerCompletedAt),
      completions.map((c) => c.path),
    ],
  );
  return rows;
}
