-- Integration API (DESIGN section 12): Settle inside someone else's product.

-- Accounts by the app's own user id. An e-mail address becomes optional: an app may keep its users' addresses to
-- itself (a user without one gets no "ready" e-mail).
ALTER TABLE users ADD COLUMN external_id text;
ALTER TABLE users ADD CONSTRAINT users_external_id_key UNIQUE (external_id);
ALTER TABLE users ADD CONSTRAINT external_id_length CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 200);
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
CREATE INDEX users_created_idx ON users (created_at DESC, id DESC);

-- Which key submitted each task: the user's own, or an app's admin key acting for the user (Settle-User).
ALTER TABLE tasks ADD COLUMN submitted_by_key uuid REFERENCES api_keys(id);
-- A completed task whose charge an admin gave back: when and why (the ledger's refund entry carries the credits).
ALTER TABLE tasks ADD COLUMN refunded_at timestamptz;
ALTER TABLE tasks ADD COLUMN refund_reason text;
ALTER TABLE tasks ADD CONSTRAINT refund_only_when_completed CHECK (refunded_at IS NULL OR status = 'completed');
-- "My tasks", newest first, with or without a status filter (keyset pages on (created_at, id)).
DROP INDEX tasks_user_idx;
CREATE INDEX tasks_user_idx ON tasks (user_id, created_at DESC, id DESC);
CREATE INDEX tasks_user_status_idx ON tasks (user_id, status, created_at DESC, id DESC);

-- Money moved by the credits API: a debit type; the caller's reference, unique per user (a repeat finds the first
-- move instead of making a second); the reason; and the balances the move left, so a repeat answers what the first
-- call answered.
ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_type_check;
ALTER TABLE credit_transactions ADD CONSTRAINT credit_transactions_type_check
  CHECK (type IN ('grant', 'freeze', 'charge', 'unfreeze', 'refund', 'debit'));
ALTER TABLE credit_transactions ADD COLUMN reference text CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 200);
ALTER TABLE credit_transactions ADD COLUMN reason text;
ALTER TABLE credit_transactions ADD COLUMN balance_after bigint;
ALTER TABLE credit_transactions ADD COLUMN frozen_after bigint;
CREATE UNIQUE INDEX credit_transactions_user_reference_idx ON credit_transactions (user_id, reference) WHERE reference IS NOT NULL;
-- A user's journal, newest first (keyset pages on id).
DROP INDEX credit_transactions_user_idx;
CREATE INDEX credit_transactions_user_idx ON credit_transactions (user_id, id DESC);
