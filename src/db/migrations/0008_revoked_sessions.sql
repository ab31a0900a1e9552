-- Sign-outs of dashboard and playground sessions. The session cookie itself is stateless (encrypted, with its own
-- expiry), so a signed-out cookie must be refused by every instance, also after a restart: the sign-out is kept
-- here until the session would have expired anyway, and rows past that are pruned by the next sign-out.
CREATE TABLE revoked_sessions (
  session_id  uuid PRIMARY KEY,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_sessions_expires_idx ON revoked_sessions (expires_at);
