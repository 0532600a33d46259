-- Exports as streams: SQLite's 002_export_chunks.sql on PostgreSQL. The
-- worker writes an export's JSON in pieces; a finished export keeps its
-- size and the strong ETag computed from its bytes.

CREATE TABLE export_chunks (
	job_id text COLLATE "C" NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	seq    integer NOT NULL, -- 0, 1, 2...: the pieces in document order
	data   bytea NOT NULL,
	PRIMARY KEY (job_id, seq)
);

ALTER TABLE jobs ADD COLUMN result_bytes bigint;
ALTER TABLE jobs ADD COLUMN result_etag text;

UPDATE jobs SET state = 'failed', error = 'The export expired; request a new one.'
	WHERE state = 'succeeded';
ALTER TABLE jobs DROP COLUMN result;

CREATE INDEX posts_author_created ON posts (author_id, created_at, id);
CREATE INDEX jobs_owner ON jobs (owner_id, completed_at);
