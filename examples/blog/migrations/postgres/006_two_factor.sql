-- Two-factor authentication: SQLite's 006_two_factor.sql on PostgreSQL.
-- A code is accepted only for a step later than last_step, by one
-- conditional UPDATE, so each is used once across instances.

CREATE TABLE two_factor (
	user_id      text COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	secret       text NOT NULL,
	created_at   text COLLATE "C" NOT NULL,
	confirmed_at text COLLATE "C",
	last_step    bigint NOT NULL DEFAULT 0,
	failures     integer NOT NULL DEFAULT 0
);
