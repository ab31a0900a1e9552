import type { RunSummary } from './descriptor.js';
import type { RunRow } from './sql/runs.js';

export interface ExecutionView {
  id: string;
  jobName: string;
  trigger: string;
  status: RunRow['status'];
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  scheduledFor: string | null;
  owner: string | null;
  /** What the run did to tasks; null while it runs, or when it failed. */
  summary: RunSummary | null;
  results: Record<string, unknown> | null;
  errorMessage: string | null;
}

/** A run history row as the admin API, the dashboard and `settle executions --json` show it. */
export function executionView(row: RunRow): ExecutionView {
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
    summary: row.found === null ? null : summaryOf(row),
    results: row.results,
    errorMessage: row.error_message,
  };
}

/** A finished row's summary columns (zero where a column is null). */
export function summaryOf(row: RunRow): RunSummary {
  return {
    found: row.found ?? 0,
    completed: row.completed ?? 0,
    retried: row.retried ?? 0,
    redispatched: row.redispatched ?? 0,
    lateResults: row.late_results ?? 0,
    failed: row.failed ?? 0,
    errors: row.errors ?? 0,
  };
}
