-- The blog's schema. Times are UTC, stored as fixed-width text
-- "2006-01-02T15:04:05.000000000Z" so that they sort as they compare.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	login         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	password_hash TEXT NOT NULL,
	time_zone     TEXT,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);

-- A renamed user's old logins answer 301 to the new one.
CREATE TABLE user_renames (
	old_login  TEXT PRIMARY KEY COLLATE NOCASE,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	renamed_at TEXT NOT NULL
);

CREATE TABLE posts (
	id           TEXT PRIMARY KEY,
	author_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	title        TEXT NOT NULL,
	body         TEXT NOT NULL,
	published    INTEGER NOT NULL,
	published_at TEXT,
	time_zone    TEXT NOT NULL,
	version      INTEGER NOT NULL DEFAULT 1,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE INDEX posts_published ON posts (published, published_at DESC, id DESC);
CREATE INDEX posts_author ON posts (author_id, published, published_at DESC, id DESC);

CREATE TABLE comments (
	id         TEXT PRIMARY KEY,
	post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	author_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	body       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, created_at, id);

CREATE TABLE likes (
	post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at TEXT NOT NULL,
	PRIMARY KEY (post_id, user_id)
);

-- Background jobs (exports). A job is never lost: one that was running
-- when the server stopped is queued again at start.
CREATE TABLE jobs (
	id           TEXT PRIMARY KEY,
	owner_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL,
	started_at   TEXT,
	completed_at TEXT,
	result       TEXT,
	error        TEXT
);
CREATE INDEX jobs_state ON jobs (state, created_at);

-- Refresh-token sessions (auth.TokenStore), so logins survive a restart.
CREATE TABLE refresh_sessions (
	id         TEXT PRIMARY KEY,
	current    TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX refresh_sessions_expiry ON refresh_sessions (expires_at);
