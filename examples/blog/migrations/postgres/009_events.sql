-- Activity: SQLite's 009_events.sql on PostgreSQL. number is an identity
-- (never reused); triggers write the events.

CREATE TABLE events (
	number     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	type       text NOT NULL,
	actor_id   text COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	post_id    text COLLATE "C" NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	comment_id text COLLATE "C" REFERENCES comments(id) ON DELETE CASCADE,
	created_at text COLLATE "C" NOT NULL
);
CREATE INDEX events_actor ON events (actor_id, number);
CREATE INDEX events_post ON events (post_id);
CREATE INDEX events_comment ON events (comment_id) WHERE comment_id IS NOT NULL;

CREATE FUNCTION events_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' AND NEW.published THEN
		INSERT INTO events (type, actor_id, post_id, created_at) VALUES ('PostEvent', NEW.author_id, NEW.id, NEW.created_at);
	ELSIF TG_OP = 'UPDATE' AND NEW.published AND NOT OLD.published THEN
		INSERT INTO events (type, actor_id, post_id, created_at) VALUES ('PostEvent', NEW.author_id, NEW.id, NEW.updated_at);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER events_post AFTER INSERT OR UPDATE OF published ON posts
	FOR EACH ROW EXECUTE FUNCTION events_post();

CREATE FUNCTION events_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO events (type, actor_id, post_id, comment_id, created_at) VALUES ('CommentEvent', NEW.author_id, NEW.post_id, NEW.id, NEW.created_at);
	RETURN NULL;
END
$$;
CREATE TRIGGER events_comment AFTER INSERT ON comments
	FOR EACH ROW EXECUTE FUNCTION events_comment();

CREATE FUNCTION events_like() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO events (type, actor_id, post_id, created_at) VALUES ('LikeEvent', NEW.user_id, NEW.post_id, NEW.created_at);
	RETURN NULL;
END
$$;
CREATE TRIGGER events_like AFTER INSERT ON likes
	FOR EACH ROW EXECUTE FUNCTION events_like();
