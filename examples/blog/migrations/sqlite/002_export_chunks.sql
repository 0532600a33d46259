-- Exports as streams (issue 19): the worker writes an export's JSON in
-- pieces as it reads the posts, and GET /jobs/{job_id}/result reads the
-- pieces back one at a time, so neither ever holds a whole export in
-- memory. A finished export keeps its size and the strong ETag computed
-- from its bytes as they were written.

CREATE TABLE export_chunks (
	job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL, -- 0, 1, 2...: the pieces in document order
	data   BLOB NOT NULL,
	PRIMARY KEY (job_id, seq)
);

ALTER TABLE jobs ADD COLUMN result_bytes INTEGER;
ALTER TABLE jobs ADD COLUMN result_etag TEXT;

-- An export written whole into jobs.result has no ETag and no pieces:
-- it expires, and the user requests a new one.
UPDATE jobs SET state = 'failed', error = 'The export expired; request a new one.'
	WHERE state = 'succeeded';
ALTER TABLE jobs DROP COLUMN result;

-- The worker reads an author's posts in creation order, a page at a
-- time; the retention rules find a user's finished jobs by completion.
CREATE INDEX posts_author_created ON posts (author_id, created_at, id);
CREATE INDEX jobs_owner ON jobs (owner_id, completed_at);
