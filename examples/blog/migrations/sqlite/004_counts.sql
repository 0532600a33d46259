-- Counts kept as the rows change (issue 21), so that no request counts
-- rows: a list's Link rel="last" reads how many published posts there
-- are from post_totals (all authors) or users.published_posts (one), and
-- a post's comments_count and likes_count are columns of the post.
-- Triggers keep them, so every way a row goes (an insert, a delete, a
-- cascade from a deleted post or user, a post published or withdrawn)
-- counts, whatever statement did it.

ALTER TABLE users ADD COLUMN published_posts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN comments_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN likes_count INTEGER NOT NULL DEFAULT 0;

-- One row: every author's published posts.
CREATE TABLE post_totals (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	published INTEGER NOT NULL
);

UPDATE users SET published_posts = (SELECT count(*) FROM posts WHERE posts.author_id = users.id AND posts.published);
UPDATE posts SET
	comments_count = (SELECT count(*) FROM comments WHERE comments.post_id = posts.id),
	likes_count = (SELECT count(*) FROM likes WHERE likes.post_id = posts.id);
INSERT INTO post_totals (id, published) VALUES (1, (SELECT count(*) FROM posts WHERE published));

CREATE TRIGGER posts_count_insert AFTER INSERT ON posts WHEN NEW.published BEGIN
	UPDATE users SET published_posts = published_posts + 1 WHERE id = NEW.author_id;
	UPDATE post_totals SET published = published + 1;
END;
CREATE TRIGGER posts_count_delete AFTER DELETE ON posts WHEN OLD.published BEGIN
	UPDATE users SET published_posts = published_posts - 1 WHERE id = OLD.author_id;
	UPDATE post_totals SET published = published - 1;
END;
CREATE TRIGGER posts_count_update AFTER UPDATE OF published ON posts WHEN OLD.published <> NEW.published BEGIN
	UPDATE users SET published_posts = published_posts + (CASE WHEN NEW.published THEN 1 ELSE -1 END) WHERE id = NEW.author_id;
	UPDATE post_totals SET published = published + (CASE WHEN NEW.published THEN 1 ELSE -1 END);
END;

CREATE TRIGGER comments_count_insert AFTER INSERT ON comments BEGIN
	UPDATE posts SET comments_count = comments_count + 1 WHERE id = NEW.post_id;
END;
CREATE TRIGGER comments_count_delete AFTER DELETE ON comments BEGIN
	UPDATE posts SET comments_count = comments_count - 1 WHERE id = OLD.post_id;
END;
CREATE TRIGGER likes_count_insert AFTER INSERT ON likes BEGIN
	UPDATE posts SET likes_count = likes_count + 1 WHERE id = NEW.post_id;
END;
CREATE TRIGGER likes_count_delete AFTER DELETE ON likes BEGIN
	UPDATE posts SET likes_count = likes_count - 1 WHERE id = OLD.post_id;
END;
