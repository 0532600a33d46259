-- Personal access tokens: SQLite's 005_personal_tokens.sql on
-- PostgreSQL. Only the token's SHA-256 is kept; the token is shown once.

CREATE TABLE personal_tokens (
	id           text COLLATE "C" PRIMARY KEY,
	user_id      text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash   text COLLATE "C" NOT NULL UNIQUE,
	last_eight   text NOT NULL,
	scopes       text NOT NULL, -- space-separated
	note         text NOT NULL,
	created_at   text COLLATE "C" NOT NULL,
	last_used_at text COLLATE "C"
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id, created_at, id);
