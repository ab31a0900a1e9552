-- The keys an ingest is storing files under, written before each file is stored: a process that dies between storing
-- a file and the completion that links it leaves the key here rather than nowhere, so the next holder of the task
-- (a re-ingest, a failure, a cancel) deletes the file. Nobody can find it otherwise: keys have a random part.
ALTER TABLE tasks ADD COLUMN ingest_keys text[] NOT NULL DEFAULT '{}';
