-- Provider truth (DESIGN section 11).

-- A dispatch records when its createTask left, before the call: a task whose answer was lost stays pending "in
-- doubt" until DISPATCH_DOUBT_MS has passed without a callback adopting the provider task it may have created.
ALTER TABLE tasks ADD COLUMN dispatch_started_at timestamptz;

-- One Settle task per provider task: a callback can adopt a provider task id only once, and never another task's.
DROP INDEX tasks_provider_task_idx;
CREATE UNIQUE INDEX tasks_provider_task_idx ON tasks (provider, provider_task_id) WHERE provider_task_id IS NOT NULL;

-- Pending tasks have a deadline too (submission + PENDING_DEADLINE_MS, written at insert); the cleanup finds every
-- live task past its deadline.
UPDATE tasks SET deadline_at = created_at + interval '30 minutes' WHERE status = 'pending' AND deadline_at IS NULL;
CREATE INDEX tasks_deadline_idx ON tasks (deadline_at, id) WHERE status IN ('pending', 'processing');

-- Credits are exact JavaScript numbers: no balance may pass 2^53 - 1.
ALTER TABLE user_credits ADD CONSTRAINT balance_is_safe_integer CHECK (balance <= 9007199254740991);
