"""The PostgreSQL schema as numbered migrations, applied in order by postgres.py on connect.

A migration is never edited once released: a change is a new one at the end. The database
records what it has applied in `schema_migrations`; several replicas starting at once apply
each migration once (under an advisory lock).

subtle: key and date columns are COLLATE "C" so that ORDER BY and the `published > day+U+FFFF`
range compare bytes, as SQLite does, whatever the database's own collation.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "articles, chunks, sentence and article vectors, stories, entities",
        """
CREATE TABLE articles (
    doc_id TEXT COLLATE "C" PRIMARY KEY, title TEXT NOT NULL, source TEXT,
    published TEXT COLLATE "C", url TEXT, author TEXT, path TEXT, root TEXT,
    content_hash TEXT NOT NULL, record_hash TEXT NOT NULL, text TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, updated_at DOUBLE PRECISION NOT NULL);
CREATE INDEX articles_content ON articles(content_hash);
CREATE INDEX articles_published ON articles(published);
CREATE TABLE chunks (
    chunk_id TEXT COLLATE "C" PRIMARY KEY, doc_id TEXT COLLATE "C" NOT NULL, n INTEGER NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, sentences TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sentence_vectors (
    chunk_id TEXT COLLATE "C" PRIMARY KEY, doc_id TEXT COLLATE "C" NOT NULL,
    vectors BYTEA NOT NULL);
CREATE INDEX sentence_vectors_doc ON sentence_vectors(doc_id);
CREATE TABLE article_vectors (doc_id TEXT COLLATE "C" PRIMARY KEY, vector BYTEA NOT NULL);
CREATE TABLE stories (
    doc_id TEXT COLLATE "C" PRIMARY KEY, story TEXT COLLATE "C" NOT NULL,
    signature BYTEA NOT NULL);
CREATE INDEX stories_story ON stories(story);
CREATE TABLE sentence_entities (
    doc_id TEXT COLLATE "C" NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    label TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX sentence_entities_doc ON sentence_entities(doc_id);
CREATE TABLE entity_docs (doc_id TEXT COLLATE "C" PRIMARY KEY);
""",
    ),
    (
        2,
        "full-text search: each chunk's terms as a tsvector with a GIN index",
        """
CREATE TABLE chunk_terms (
    chunk_id TEXT COLLATE "C" PRIMARY KEY, doc_id TEXT COLLATE "C" NOT NULL,
    terms TSVECTOR NOT NULL);
CREATE INDEX chunk_terms_doc ON chunk_terms(doc_id);
CREATE INDEX chunk_terms_gin ON chunk_terms USING GIN (terms);
""",
    ),
    (
        3,
        "BM25 statistics: each chunk's length, each term's document frequency, the totals",
        """
ALTER TABLE chunk_terms ADD COLUMN n_terms INTEGER NOT NULL DEFAULT 0;
UPDATE chunk_terms SET n_terms = (SELECT COALESCE(sum(cardinality(positions)), 0)
    FROM unnest(terms));
CREATE TABLE term_df (term TEXT COLLATE "C" PRIMARY KEY, df INTEGER NOT NULL);
INSERT INTO term_df SELECT lexeme, count(*) FROM chunk_terms,
    unnest(tsvector_to_array(terms)) AS lexeme GROUP BY lexeme;
CREATE TABLE fulltext_totals (
    id INTEGER PRIMARY KEY CHECK (id = 1), chunks BIGINT NOT NULL, terms BIGINT NOT NULL);
INSERT INTO fulltext_totals SELECT 1, count(*), COALESCE(sum(n_terms), 0) FROM chunk_terms;
""",
    ),
]

#: The schema version this code writes and reads.
LATEST = MIGRATIONS[-1][0]
