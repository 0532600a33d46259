-- The blog's schema on PostgreSQL: the tables of SQLite's 001_init.sql,
-- with the same columns and meanings, so that one set of queries serves
-- both. Times are UTC, stored as fixed-width text
-- "2006-01-02T15:04:05.000000000Z", and ids and times compare byte by
-- byte (COLLATE "C", as SQLite's BINARY), so that text order is time
-- order and keyset queries order the same on every database.
--
-- Logins and emails are unique whatever their case: citext compares
-- case-insensitively, as SQLite's COLLATE NOCASE does (citext is a
-- trusted extension: the database's owner may create it).

CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE settings (
	key   text PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE users (
	id            text COLLATE "C" PRIMARY KEY,
	login         citext NOT NULL,
	email         citext NOT NULL,
	password_hash text NOT NULL,
	time_zone     text,
	created_at    text COLLATE "C" NOT NULL,
	updated_at    text COLLATE "C" NOT NULL,
	-- Named as the store expects: a violation of either says which
	-- field is taken.
	CONSTRAINT users_login_key UNIQUE (login),
	CONSTRAINT users_email_key UNIQUE (email)
);

-- A renamed user's old logins answer 301 to the new one.
CREATE TABLE user_renames (
	old_login  citext PRIMARY KEY,
	user_id    text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	renamed_at text COLLATE "C" NOT NULL
);
CREATE INDEX user_renames_user ON user_renames (user_id);

CREATE TABLE posts (
	id           text COLLATE "C" PRIMARY KEY,
	author_id    text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	title        text NOT NULL,
	body         text NOT NULL,
	published    boolean NOT NULL,
	published_at text COLLATE "C",
	time_zone    text NOT NULL,
	version      bigint NOT NULL DEFAULT 1,
	created_at   text COLLATE "C" NOT NULL,
	updated_at   text COLLATE "C" NOT NULL
);
CREATE INDEX posts_published ON posts (published, published_at DESC, id DESC);
CREATE INDEX posts_author ON posts (author_id, published, published_at DESC, id DESC);

CREATE TABLE comments (
	id         text COLLATE "C" PRIMARY KEY,
	post_id    text COLLATE "C" NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	author_id  text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	body       text NOT NULL,
	created_at text COLLATE "C" NOT NULL,
	updated_at text COLLATE "C" NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, created_at, id);
-- PostgreSQL, unlike SQLite, needs an index to cascade a user's deletion
-- without scanning.
CREATE INDEX comments_author ON comments (author_id);

CREATE TABLE likes (
	post_id    text COLLATE "C" NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	user_id    text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at text COLLATE "C" NOT NULL,
	PRIMARY KEY (post_id, user_id)
);
CREATE INDEX likes_user ON likes (user_id);

-- Background jobs (exports).
CREATE TABLE jobs (
	id           text COLLATE "C" PRIMARY KEY,
	owner_id     text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind         text NOT NULL,
	state        text NOT NULL,
	attempts     bigint NOT NULL DEFAULT 0,
	created_at   text COLLATE "C" NOT NULL,
	started_at   text COLLATE "C",
	completed_at text COLLATE "C",
	result       text,
	error        text
);
CREATE INDEX jobs_state ON jobs (state, created_at);

-- Refresh-token sessions (auth.TokenStore), so logins survive a restart.
CREATE TABLE refresh_sessions (
	id         text COLLATE "C" PRIMARY KEY,
	current    text COLLATE "C" NOT NULL,
	expires_at text COLLATE "C" NOT NULL
);
CREATE INDEX refresh_sessions_expiry ON refresh_sessions (expires_at);
