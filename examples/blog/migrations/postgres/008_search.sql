-- Search: SQLite's 008_search.sql on PostgreSQL, full text by a GIN
-- index of the published posts' words (the 'simple' configuration: no
-- stemming, as FTS5's unicode61), the title weighted above the body.
-- The expression is the one the search query names, so that it uses the
-- index.

CREATE INDEX posts_search ON posts USING gin (
	(setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B'))
) WHERE published;
