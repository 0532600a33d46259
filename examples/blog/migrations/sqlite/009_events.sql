-- Activity (issue 23): GET /events and GET /users/{username}/events list
-- what happened, newest first: a post published, a comment added, a
-- like. Triggers write the events, whichever statement did it, so no
-- code path can forget one. number is the event's id (AUTOINCREMENT:
-- never reused). An event goes with its post, comment or actor; the
-- lists show only events of posts published now, so a post taken back
-- to draft takes its events out of sight.

CREATE TABLE events (
	number     INTEGER PRIMARY KEY AUTOINCREMENT,
	type       TEXT NOT NULL, -- PostEvent, CommentEvent, LikeEvent
	actor_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	comment_id TEXT REFERENCES comments(id) ON DELETE CASCADE,
	created_at TEXT NOT NULL
);
CREATE INDEX events_actor ON events (actor_id, number);
CREATE INDEX events_post ON events (post_id);
CREATE INDEX events_comment ON events (comment_id) WHERE comment_id IS NOT NULL;

CREATE TRIGGER events_post_insert AFTER INSERT ON posts WHEN NEW.published BEGIN
	INSERT INTO events (type, actor_id, post_id, created_at) VALUES ('PostEvent', NEW.author_id, NEW.id, NEW.created_at);
END;
CREATE TRIGGER events_post_publish AFTER UPDATE OF published ON posts WHEN NEW.published AND NOT OLD.published BEGIN
	INSERT INTO events (type, actor_id, post_id, created_at) VALUES ('PostEvent', NEW.author_id, NEW.id, NEW.updated_at);
END;
CREATE TRIGGER events_comment AFTER INSERT ON comments BEGIN
	INSERT INTO events (type, actor_id, post_id, comment_id, created_at) VALUES ('CommentEvent', NEW.author_id, NEW.post_id, NEW.id, NEW.created_at);
END;
CREATE TRIGGER events_like AFTER INSERT ON likes BEGIN
	INSERT INTO events (type, actor_id, post_id, created_at) VALUES ('LikeEvent', NEW.user_id, NEW.post_id, NEW.created_at);
END;
