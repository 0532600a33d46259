-- Search (issue 23): GET /search/posts looks words up in posts_fts, an
-- FTS5 index of each post's title and body under the post's number
-- (never reused, unlike a rowid, which VACUUM may renumber). Triggers
-- keep it in step with posts, whichever statement changes them; the
-- search itself keeps to published posts.

CREATE VIRTUAL TABLE posts_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_fts (rowid, title, body) SELECT number, title, body FROM posts;

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts WHEN NEW.number IS NOT NULL BEGIN
	INSERT INTO posts_fts (rowid, title, body) VALUES (NEW.number, NEW.title, NEW.body);
END;
-- A post numbered by its trigger (posts_number) comes in here.
CREATE TRIGGER posts_fts_update AFTER UPDATE OF number, title, body ON posts BEGIN
	DELETE FROM posts_fts WHERE rowid = OLD.number;
	INSERT INTO posts_fts (rowid, title, body) SELECT NEW.number, NEW.title, NEW.body WHERE NEW.number IS NOT NULL;
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
	DELETE FROM posts_fts WHERE rowid = OLD.number;
END;
