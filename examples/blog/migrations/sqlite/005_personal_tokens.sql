-- Personal access tokens (issue 22): tokens a user makes for scripts and
-- tools, each with its scopes, as GitHub's. Only the token's SHA-256 is
-- kept (token_hash): the token itself is shown once, at creation.
-- last_eight is its end, shown in lists so that a user can tell tokens
-- apart. last_used_at is written at most once a minute per token.

CREATE TABLE personal_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash   TEXT NOT NULL UNIQUE,
	last_eight   TEXT NOT NULL,
	scopes       TEXT NOT NULL, -- space-separated
	note         TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_used_at TEXT
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id, created_at, id);
