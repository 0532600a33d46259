-- Counts kept as the rows change: SQLite's 004_counts.sql on PostgreSQL.
-- A list's Link rel="last" reads how many published posts there are from
-- post_totals (all authors) or users.published_posts (one); a post's
-- comments_count and likes_count are columns of the post. Triggers keep
-- them, whatever statement changed the rows, cascades included.
--
-- post_totals is one row that every publication updates: writers of
-- posts take turns on it for the length of their transaction. That costs
-- nothing at a blog's rate of writes; a service writing thousands of rows
-- a second would spread it over several rows and sum them.

ALTER TABLE users ADD COLUMN published_posts bigint NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN comments_count bigint NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN likes_count bigint NOT NULL DEFAULT 0;

CREATE TABLE post_totals (
	id        integer PRIMARY KEY CHECK (id = 1),
	published bigint NOT NULL
);

UPDATE users SET published_posts = (SELECT count(*) FROM posts WHERE posts.author_id = users.id AND posts.published);
UPDATE posts SET
	comments_count = (SELECT count(*) FROM comments WHERE comments.post_id = posts.id),
	likes_count = (SELECT count(*) FROM likes WHERE likes.post_id = posts.id);
INSERT INTO post_totals (id, published) VALUES (1, (SELECT count(*) FROM posts WHERE published));

CREATE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	delta  bigint := 0;
	author text;
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.published THEN delta := 1; author := NEW.author_id; END IF;
	ELSIF TG_OP = 'DELETE' THEN
		IF OLD.published THEN delta := -1; author := OLD.author_id; END IF;
	ELSIF OLD.published <> NEW.published THEN
		delta := CASE WHEN NEW.published THEN 1 ELSE -1 END;
		author := NEW.author_id;
	END IF;
	IF delta <> 0 THEN
		UPDATE users SET published_posts = published_posts + delta WHERE id = author;
		UPDATE post_totals SET published = published + delta;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER posts_count AFTER INSERT OR DELETE OR UPDATE OF published ON posts
	FOR EACH ROW EXECUTE FUNCTION posts_count();

CREATE FUNCTION comments_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE posts SET comments_count = comments_count + 1 WHERE id = NEW.post_id;
	ELSE
		UPDATE posts SET comments_count = comments_count - 1 WHERE id = OLD.post_id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER comments_count AFTER INSERT OR DELETE ON comments
	FOR EACH ROW EXECUTE FUNCTION comments_count();

CREATE FUNCTION likes_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE posts SET likes_count = likes_count + 1 WHERE id = NEW.post_id;
	ELSE
		UPDATE posts SET likes_count = likes_count - 1 WHERE id = OLD.post_id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER likes_count AFTER INSERT OR DELETE ON likes
	FOR EACH ROW EXECUTE FUNCTION likes_count();
