-- A submission's insert wrote tasks_pending_created_idx beside tasks_status_created_idx (status, created_at DESC,
-- id DESC), which already holds every pending task in the same order: the re-dispatch's pages of pending tasks,
-- oldest first, are a backward scan of it, the row comparison of the page key an index condition. One index write
-- fewer per submission.
DROP INDEX tasks_pending_created_idx;
