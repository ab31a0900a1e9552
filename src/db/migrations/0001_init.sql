-- Settle schema v1: users and keys, the credit ledger, tasks, and the recovery run history.

CREATE TABLE users (
  id          uuid PRIMARY KEY,
  email       text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id),
  key_hash    text NOT NULL UNIQUE,
  key_prefix  text NOT NULL,
  role        text NOT NULL CHECK (role IN ('user', 'admin')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

-- Balances change only through the conditional statements in src/ledger; these constraints are the last line.
CREATE TABLE user_credits (
  user_id         uuid PRIMARY KEY REFERENCES users(id),
  balance         bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
  frozen_balance  bigint NOT NULL DEFAULT 0 CHECK (frozen_balance >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT frozen_within_balance CHECK (frozen_balance <= balance)
);

CREATE TABLE tasks (
  id                     uuid PRIMARY KEY,
  user_id                uuid NOT NULL REFERENCES users(id),
  type                   text NOT NULL CHECK (type IN ('video', 'image')),
  model                  text NOT NULL,
  provider               text NOT NULL,
  input                  jsonb NOT NULL,
  status                 text NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'canceled')),
  progress               integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  price                  bigint NOT NULL CHECK (price > 0),
  provider_task_id       text,
  attempts               integer NOT NULL DEFAULT 0,
  max_attempts           integer NOT NULL CHECK (max_attempts >= 1),
  timeout_ms             integer NOT NULL CHECK (timeout_ms > 0),
  idempotency_key        text,
  request_hash           text,
  error_code             text,
  error_message          text,
  asset_keys             text[] NOT NULL DEFAULT '{}',
  late_result            boolean NOT NULL DEFAULT false,
  settled_by             text,
  lease_owner            text,
  lease_expires_at       timestamptz,
  next_check_at          timestamptz,
  check_count            integer NOT NULL DEFAULT 0,
  last_checked_at        timestamptz,
  provider_errors        integer NOT NULL DEFAULT 0,
  dispatched_at          timestamptz,
  processing_started_at  timestamptz,
  deadline_at            timestamptz,
  provider_completed_at  timestamptz,
  completed_at           timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT processing_has_provider_task CHECK (status <> 'processing' OR provider_task_id IS NOT NULL)
);
CREATE UNIQUE INDEX tasks_idempotency_idx ON tasks (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_due_idx ON tasks (next_check_at) WHERE status IN ('pending', 'processing');
CREATE INDEX tasks_active_idx ON tasks (status, processing_started_at) WHERE status IN ('pending', 'processing');
CREATE INDEX tasks_user_idx ON tasks (user_id, created_at DESC);
CREATE INDEX tasks_provider_task_idx ON tasks (provider, provider_task_id);

-- One hold per task; it resolves at most once (open -> captured | released).
CREATE TABLE credit_holds (
  id          uuid PRIMARY KEY,
  task_id     uuid NOT NULL UNIQUE REFERENCES tasks(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  amount      bigint NOT NULL CHECK (amount > 0),
  status      text NOT NULL CHECK (status IN ('open', 'captured', 'released')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  settled_at  timestamptz,
  CONSTRAINT settled_when_resolved CHECK ((status = 'open') = (settled_at IS NULL))
);
CREATE INDEX credit_holds_open_idx ON credit_holds (user_id) WHERE status = 'open';

CREATE TABLE credit_transactions (
  id            bigserial PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users(id),
  type          text NOT NULL CHECK (type IN ('grant', 'freeze', 'charge', 'unfreeze', 'refund')),
  amount        bigint NOT NULL CHECK (amount > 0),
  reference_id  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT one_entry_per_reference UNIQUE (type, reference_id)
);
CREATE INDEX credit_transactions_user_idx ON credit_transactions (user_id);

CREATE FUNCTION refuse_journal_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_transactions is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER credit_transactions_append_only
  BEFORE UPDATE OR DELETE ON credit_transactions
  FOR EACH ROW EXECUTE FUNCTION refuse_journal_change();
CREATE TRIGGER credit_transactions_no_truncate
  BEFORE TRUNCATE ON credit_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_journal_change();

CREATE TABLE cron_job_executions (
  id             uuid PRIMARY KEY,
  job_name       text NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz,
  duration       integer,
  status         text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  results        jsonb,
  error_message  text,
  trigger        text NOT NULL DEFAULT 'cron',
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cron_job_executions_started_idx ON cron_job_executions (started_at DESC);
