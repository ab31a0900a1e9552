import type { ExecutionRow } from './sql/executions.js';

export interface ExecutionView {
  id: string;
  jobName: string;
  trigger: string;
  status: ExecutionRow['status'];
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  scheduledFor: string | null;
  owner: string | null;
  results: Record<string, unknown> | null;
  errorMessage: string | null;
}

/** A run history row as the admin API, the dashboard and `settle executions --json` show it. */
export function executionView(row: ExecutionRow): ExecutionView {
  return {
    id: row.id,
    jobName: row.job_name,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    durationMs: row.duration,
    scheduledFor: row.scheduled_for?.toISOString() ?? null,
    owner: row.owner,
    results: row.results,
    errorMessage: row.error_message,
  };
}
