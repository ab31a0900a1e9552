import type { Queryable } from '../../db/index.js';
import { LEASE_LIVE } from './lease.js';

export interface TaskViolationRow {
  invariant: string;
  user_id: string | null;
  task_id: string | null;
  detail: string;
}

// A stored file may be linked only by a task that delivered it: completed, or a late result of a timeout.
const LINKED_ASSETS = `
  SELECT 'asset_only_on_delivered_task' AS invariant, user_id, id AS task_id,
         format('%s task links %s file(s)', status, cardinality(asset_keys)) AS detail
    FROM tasks
   WHERE cardinality(asset_keys) > 0 AND status <> 'completed' AND NOT late_result
   ORDER BY id`;

// One provider task belongs to one Settle task (the unique index enforces it; an install older than it may not).
const SHARED_PROVIDER_TASKS = `
  SELECT 'one_task_per_provider_task' AS invariant, NULL AS user_id, min(id::text)::uuid AS task_id,
         format('%s tasks share %s task %s', count(*), provider, provider_task_id) AS detail
    FROM tasks
   WHERE provider_task_id IS NOT NULL
   GROUP BY provider, provider_task_id HAVING count(*) > 1`;

// A pruned task (settle prune) is a finished one whose files were removed: it links none, its money fields stand.
const PRUNED_TASKS = `
  SELECT 'pruned_task_finished_and_unlinked' AS invariant, user_id, id AS task_id,
         format('pruned %s task links %s file(s)', status, cardinality(asset_keys)) AS detail
    FROM tasks
   WHERE pruned_at IS NOT NULL AND (cardinality(asset_keys) > 0 OR status NOT IN ('completed', 'failed', 'canceled'))
   ORDER BY id`;

/** The tasks' own invariants, one statement each: each row is one violation. */
export async function findTaskViolations(db: Queryable): Promise<TaskViolationRow[]> {
  const rows: TaskViolationRow[] = [];
  for (const sql of [LINKED_ASSETS, SHARED_PROVIDER_TASKS, PRUNED_TASKS]) rows.push(...(await db.query<TaskViolationRow>(sql)).rows);
  return rows;
}

export interface AssetOwner {
  id: string;
  user_id: string;
  asset_keys: string[];
  /** Processing under a live lease: an ingest may be storing files it has not linked yet. */
  ingesting: boolean;
}

/** The tasks named by stored files' keys, with what they link and whether an ingest may be running for them. */
export async function findAssetOwners(db: Queryable, taskIds: readonly string[]): Promise<AssetOwner[]> {
  const { rows } = await db.query<AssetOwner>(
    `SELECT id, user_id, asset_keys, (status = 'processing' AND ${LEASE_LIVE}) AS ingesting FROM tasks WHERE id = ANY($1::uuid[])`,
    [taskIds],
  );
  return rows;
}
