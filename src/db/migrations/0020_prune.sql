-- Retention (DESIGN section 14): `settle prune` empties old finished tasks' inputs and removes their stored files;
-- the task row, its money fields and the journal stay. pruned_at says it happened. The partial index holds only the
-- finished tasks not yet pruned, oldest finished first, so each batch is an ordered index scan that stops at the
-- batch size, however many tasks were pruned before.
ALTER TABLE tasks ADD COLUMN pruned_at timestamptz;
CREATE INDEX tasks_prunable_idx ON tasks (completed_at, id)
  WHERE pruned_at IS NULL AND status IN ('completed', 'failed', 'canceled');
