-- Outgoing webhooks (DESIGN section 12): endpoints that admins register, each event delivered through the outbox.

CREATE TABLE webhook_endpoints (
  id         uuid PRIMARY KEY,
  url        text NOT NULL,
  events     text[] NOT NULL CHECK (cardinality(events) > 0),
  -- Kept as it is, not hashed: every delivery is signed with it (HMAC-SHA256, Standard Webhooks).
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_channel_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_channel_check
  CHECK (channel IN ('email', 'slack', 'discord', 'webhook'));

-- An entry gives up after max_attempts failed attempts (e-mails, alerts), or once it has been failing for
-- retry_window_ms (webhooks: WEBHOOK_RETRY_HOURS) since it was queued or re-sent (retry_until); never both.
ALTER TABLE notification_outbox ALTER COLUMN max_attempts DROP NOT NULL;
ALTER TABLE notification_outbox ADD COLUMN retry_window_ms integer CHECK (retry_window_ms > 0);
ALTER TABLE notification_outbox ADD COLUMN retry_until timestamptz;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_one_give_up_rule
  CHECK ((max_attempts IS NULL) <> (retry_window_ms IS NULL));
