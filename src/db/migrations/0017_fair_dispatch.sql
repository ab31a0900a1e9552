-- One provider rate limit for the whole cluster (DESIGN section 14): per provider, the send times of the latest
-- createTask calls, at most PROVIDER_RATE_LIMIT of them. A dispatch takes a slot with one conditional UPDATE of the
-- provider's row, whose lock orders every instance's dispatches.
CREATE TABLE provider_dispatch_windows (
  provider  text PRIMARY KEY,
  sent      timestamptz[] NOT NULL DEFAULT '{}'
);
INSERT INTO provider_dispatch_windows (provider) VALUES ('kie'), ('replicate');

-- Fair dispatch and USER_MAX_ACTIVE_TASKS count a user's live tasks.
CREATE INDEX tasks_user_live_idx ON tasks (user_id) WHERE status IN ('pending', 'processing');
