-- A task's submitted_by_key no longer references api_keys. The foreign key made every submission lock its key's row
-- FOR KEY SHARE; the documented integration submits for all its users with one admin key, so every instance's
-- submissions locked the same row, and two instances' overlapping groups made a MultiXact each time. Keys are never
-- deleted (revocation sets revoked_at), so the reference cannot dangle and the constraint guarded nothing.
ALTER TABLE tasks DROP CONSTRAINT tasks_submitted_by_key_fkey;
