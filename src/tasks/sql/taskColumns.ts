import type { TaskRow } from '../types.js';

/** Compiles only when the list names every TaskRow field (and nothing else). */
function everyTaskField<const T extends readonly (keyof TaskRow)[]>(
  columns: T & (Exclude<keyof TaskRow, T[number]> extends never ? unknown : never),
): T {
  return columns;
}

const COLUMNS = everyTaskField([
  'id', 'user_id', 'type', 'model', 'provider', 'input', 'status', 'progress', 'price', 'provider_task_id', 'attempts',
  'max_attempts', 'timeout_ms', 'idempotency_key', 'request_hash', 'error_code', 'error_message', 'asset_keys', 'ingest_keys',
  'late_result', 'settled_by', 'lease_owner', 'lease_expires_at', 'next_check_at', 'check_count', 'last_checked_at',
  'provider_errors', 'dispatched_at', 'processing_started_at', 'deadline_at', 'provider_completed_at', 'completed_at',
  'dispatch_started_at', 'submitted_by_key', 'refunded_at', 'refund_reason', 'pruned_at', 'created_at', 'updated_at',
]);

/** A TaskRow's columns by name, for prepared statements (which must not return `*`); `alias` qualifies each. */
export function taskColumns(alias?: string): string {
  return COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
}
