-- Two-factor authentication (issue 22): an account's TOTP secret
-- (RFC 6238, base32), made by POST /user/two_factor and turned on by the
-- first code (confirmed_at; NULL while it waits for it). last_step is
-- the time step of the last code accepted: a code is taken only for a
-- later step, by one conditional UPDATE, so each is used once whichever
-- instance sees it. failures counts wrong confirmation codes; too many
-- and the secret is dropped. The secret must be readable to check codes:
-- it is a credential, kept where only the server reads it.

CREATE TABLE two_factor (
	user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	secret       TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	confirmed_at TEXT,
	last_step    INTEGER NOT NULL DEFAULT 0,
	failures     INTEGER NOT NULL DEFAULT 0
);
