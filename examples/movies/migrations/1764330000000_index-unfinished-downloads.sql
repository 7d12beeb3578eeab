-- Up Migration
-- The movies whose download is under way or waiting for a retry, for the engine's check that
-- their job has not ended without a word (README, "Downloads").
CREATE INDEX movies_unfinished ON movies (updated_at) WHERE state IN ('queued', 'downloading') AND attempt > 0;

-- Down Migration
DROP INDEX movies_unfinished;
