-- Numeric ids (issue 23): GitHub's resources have an integer "id" (and
-- their opaque global id in "node_id"), which GitHub's typed clients
-- decode as int64. Every resource gets a number, never reused: the next
-- one is id_sequences' count for its table, raised in the transaction
-- that inserts the row (SQLite's MAX + 1 would give a deleted row's
-- number again). The rows there already are numbered in insertion
-- order. The server gives each insert its number; a trigger numbers a
-- row inserted without one, as PostgreSQL's identity columns do.

CREATE TABLE id_sequences (
	name TEXT PRIMARY KEY,
	last INTEGER NOT NULL
);

ALTER TABLE users ADD COLUMN number INTEGER;
UPDATE users SET number = rowid;
CREATE UNIQUE INDEX users_number ON users (number);
INSERT INTO id_sequences (name, last) SELECT 'users', COALESCE(MAX(number), 0) FROM users;
CREATE TRIGGER users_number AFTER INSERT ON users WHEN NEW.number IS NULL BEGIN
	UPDATE id_sequences SET last = last + 1 WHERE name = 'users';
	UPDATE users SET number = (SELECT last FROM id_sequences WHERE name = 'users') WHERE rowid = NEW.rowid;
END;

ALTER TABLE posts ADD COLUMN number INTEGER;
UPDATE posts SET number = rowid;
CREATE UNIQUE INDEX posts_number ON posts (number);
INSERT INTO id_sequences (name, last) SELECT 'posts', COALESCE(MAX(number), 0) FROM posts;
CREATE TRIGGER posts_number AFTER INSERT ON posts WHEN NEW.number IS NULL BEGIN
	UPDATE id_sequences SET last = last + 1 WHERE name = 'posts';
	UPDATE posts SET number = (SELECT last FROM id_sequences WHERE name = 'posts') WHERE rowid = NEW.rowid;
END;

ALTER TABLE comments ADD COLUMN number INTEGER;
UPDATE comments SET number = rowid;
CREATE UNIQUE INDEX comments_number ON comments (number);
INSERT INTO id_sequences (name, last) SELECT 'comments', COALESCE(MAX(number), 0) FROM comments;
CREATE TRIGGER comments_number AFTER INSERT ON comments WHEN NEW.number IS NULL BEGIN
	UPDATE id_sequences SET last = last + 1 WHERE name = 'comments';
	UPDATE comments SET number = (SELECT last FROM id_sequences WHERE name = 'comments') WHERE rowid = NEW.rowid;
END;

ALTER TABLE jobs ADD COLUMN number INTEGER;
UPDATE jobs SET number = rowid;
CREATE UNIQUE INDEX jobs_number ON jobs (number);
INSERT INTO id_sequences (name, last) SELECT 'jobs', COALESCE(MAX(number), 0) FROM jobs;
CREATE TRIGGER jobs_number AFTER INSERT ON jobs WHEN NEW.number IS NULL BEGIN
	UPDATE id_sequences SET last = last + 1 WHERE name = 'jobs';
	UPDATE jobs SET number = (SELECT last FROM id_sequences WHERE name = 'jobs') WHERE rowid = NEW.rowid;
END;

ALTER TABLE personal_tokens ADD COLUMN number INTEGER;
UPDATE personal_tokens SET number = rowid;
CREATE UNIQUE INDEX personal_tokens_number ON personal_tokens (number);
INSERT INTO id_sequences (name, last) SELECT 'personal_tokens', COALESCE(MAX(number), 0) FROM personal_tokens;
CREATE TRIGGER personal_tokens_number AFTER INSERT ON personal_tokens WHEN NEW.number IS NULL BEGIN
	UPDATE id_sequences SET last = last + 1 WHERE name = 'personal_tokens';
	UPDATE personal_tokens SET number = (SELECT last FROM id_sequences WHERE name = 'personal_tokens') WHERE rowid = NEW.rowid;
END;
