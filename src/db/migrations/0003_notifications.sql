-- Transactional outbox: a notification is written in the same transaction as the settlement or run that causes it,
-- then delivered by a loop that any number of instances may run (claims use SKIP LOCKED and a lease).

CREATE TABLE notification_outbox (
  id               uuid PRIMARY KEY,
  channel          text NOT NULL CHECK (channel IN ('email', 'slack', 'discord')),
  kind             text NOT NULL,
  payload          jsonb NOT NULL,
  -- One entry per event and channel, so a settlement retried after a crash cannot enqueue twice.
  dedupe_key       text NOT NULL UNIQUE,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL CHECK (max_attempts >= 1),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  lease_owner      text,
  lease_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_outbox_status_idx ON notification_outbox (status, created_at DESC);

-- The last time each alert condition fired, so the same condition is not re-sent within the dedupe window and a
-- recovery message goes out when it clears.
CREATE TABLE alert_state (
  condition       text PRIMARY KEY,
  active          boolean NOT NULL,
  last_sent_at    timestamptz,
  last_value      text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
