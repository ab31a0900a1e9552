import type { Queryable } from '../../db/index.js';

/** One group of task_counts: tasks by status, settlement path ('' while live) and latency bucket. */
export interface TaskCountRow {
  status: string;
  path: string;
  /** The number of latency bounds strictly below the group's settlement latency; null without one. */
  bucket: number | null;
  tasks: number;
  providerErrors: number;
  latencySum: number;
}

export async function selectTaskCounts(db: Queryable): Promise<TaskCountRow[]> {
  const { rows } = await db.query<TaskCountRow>(
    `SELECT status, path, bucket, sum(tasks)::double precision AS tasks,
            sum(provider_errors)::double precision AS "providerErrors", sum(latency_sum) AS "latencySum"
       FROM task_counts
      GROUP BY status, path, bucket`,
  );
  return rows.map((r) => ({ ...r, tasks: Number(r.tasks), providerErrors: Number(r.providerErrors), latencySum: Number(r.latencySum) }));
}
