-- The last two lists without a cursor (DESIGN section 14, every list is keyset-paginated): a user's API keys and
-- the webhook endpoints, both newest first. Each page is an ordered index scan from its key; an app that makes a
-- key per session gives one user thousands of keys.
DROP INDEX api_keys_user_idx;
CREATE INDEX api_keys_user_created_idx ON api_keys (user_id, created_at, id);
CREATE INDEX webhook_endpoints_created_idx ON webhook_endpoints (created_at, id);
