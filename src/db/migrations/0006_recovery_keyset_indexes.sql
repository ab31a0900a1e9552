-- The reconciler pages through stuck, stale pending and late-result tasks in (time, id) order. With id in each
-- index, a page is an ordered index scan that stops at the page size; without it, every page read and sorted all
-- the matching tasks (10,000 stuck tasks: 8.7 ms a page). Replaced, not added, so writes keep the same index count.
DROP INDEX tasks_active_idx;
CREATE INDEX tasks_active_idx ON tasks (status, processing_started_at, id) WHERE status IN ('pending', 'processing');
DROP INDEX tasks_pending_created_idx;
CREATE INDEX tasks_pending_created_idx ON tasks (created_at, id) WHERE status = 'pending';
DROP INDEX tasks_late_result_idx;
CREATE INDEX tasks_late_result_idx ON tasks (completed_at, id)
  WHERE status = 'failed' AND error_code = 'timeout' AND NOT late_result;
