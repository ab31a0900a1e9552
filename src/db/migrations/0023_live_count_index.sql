-- A task write maintains every index of tasks whose predicate its row meets: a submission's insert and its
-- acceptance (not a HOT update) each wrote tasks_user_live_idx. Fair dispatch and USER_MAX_ACTIVE_TASKS count a
-- user's live tasks with user_id = $1 AND status IN ('pending', 'processing'), which tasks_user_status_idx
-- (user_id, status, ...) answers with the same few index entries, so the narrower index goes.
DROP INDEX tasks_user_live_idx;
