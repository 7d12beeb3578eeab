-- Up Migration
-- The catalogue. The user's columns (title, description) change only with version + 1; the
-- download worker's (state to attempt) change without it, each writer in single statements, so
-- neither can undo the other's change (README, "Concurrent updates").
CREATE TABLE movies (
  id uuid PRIMARY KEY,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
  source_url text NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'downloading', 'ready', 'failed')),
  bytes_done bigint NOT NULL DEFAULT 0 CHECK (bytes_done >= 0),
  bytes_total bigint NOT NULL DEFAULT 0 CHECK (bytes_total >= 0),
  error text NOT NULL DEFAULT '',
  attempt integer NOT NULL DEFAULT 0,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Pages of the list, oldest first (keyset pagination on created_at, id).
CREATE INDEX movies_created_at_id ON movies (created_at, id);

-- The movies still waiting for their first download attempt, for the engine's check that each has
-- its job (README, "Creating a movie").
CREATE INDEX movies_queued ON movies (updated_at) WHERE state = 'queued' AND attempt = 0;

-- Down Migration
DROP TABLE movies;
