"""SQL statements -> the database that holds the record of truth: embedded SQLite (the default,
meta.sqlite3 in the index folder) or PostgreSQL at RAG_DATABASE_URL (postgres.py).

The rest of the index writes one SQL for both: `?` placeholders, ON CONFLICT upserts, and the
few phrases that differ between the two (a date pattern) asked of the database object.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..settings import Settings

#: Keys per `IN (...)` statement, well under SQLite's bound on parameters (999 before 3.32).
IN_BATCH = 500

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, published TEXT, url TEXT,
    author TEXT, path TEXT, root TEXT, content_hash TEXT NOT NULL, record_hash TEXT NOT NULL,
    text TEXT NOT NULL, n_chunks INTEGER NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS articles_content ON articles(content_hash);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, n INTEGER NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, sentences TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, vectors BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentence_vectors_doc ON sentence_vectors(doc_id);
CREATE TABLE IF NOT EXISTS article_vectors (doc_id TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    doc_id TEXT PRIMARY KEY, story TEXT NOT NULL, signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS stories_story ON stories(story);
CREATE TABLE IF NOT EXISTS sentence_entities (
    doc_id TEXT NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    label TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sentence_entities_doc ON sentence_entities(doc_id);
CREATE TABLE IF NOT EXISTS entity_docs (doc_id TEXT PRIMARY KEY);
"""
# subtle: `stories` came after schema 3 and the entity tables with schema 4 (manifest.py)
# without a new file format: an older index gets the empty tables on open. entity_docs lists the
# articles read for entities, so one with no entity is told apart from one never read.


class Writer(Protocol):
    """What a transaction offers: statements with `?` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...

    def executemany(self, sql: str, rows: Any) -> Any: ...


class Database:
    """Embedded SQLite: one connection serves every thread, under the index's one lock."""

    kind = "sqlite"
    #: The phrase that admits a `published` value written as a YYYY-MM-DD date.
    DATED = "published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"

    def __init__(self, path: Path, lock: threading.RLock) -> None:
        # subtle: one connection serves every thread (the UI answers concurrently); the lock
        # keeps two threads from interleaving on it.
        self.lock = lock
        self.where = str(path.parent) + "/"
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SQLITE_SCHEMA)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.lock:
            return self.db.execute(sql, tuple(params)).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.lock:
            return self.db.execute(sql, tuple(params)).fetchone()

    def rows_in(self, sql: str, keys: list[str]) -> list[Any]:
        """Rows of `{sql} IN (keys)`: one statement per IN_BATCH keys, under one lock."""
        out: list[Any] = []
        with self.lock:
            for at in range(0, len(keys), IN_BATCH):
                part = tuple(keys[at : at + IN_BATCH])
                out += self.rows(f"{sql} IN ({','.join('?' * len(part))})", part)
        return out

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """Statements inside commit together, or not at all."""
        with self.lock, self.db:
            yield self.db

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the index, whatever another process writes meanwhile."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                yield
            finally:
                self.db.rollback()  # read only: nothing to keep

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One writer at a time (one process writes an embedded index: the lock suffices)."""
        with self.lock:
            yield

    def get_state(self, key: str) -> str | None:
        row = self.one("SELECT value FROM state WHERE key=?", (key,))
        return str(row[0]) if row else None

    def set_state(self, key: str, value: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO state VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def close(self) -> None:
        self.db.close()


def open_database(settings: Settings, folder: Path, lock: threading.RLock) -> Database:
    """The database the settings name: PostgreSQL at RAG_DATABASE_URL, else meta.sqlite3."""
    if settings.database_url:
        from .postgres import PostgresDatabase

        return PostgresDatabase(settings, lock)
    return Database(folder / "meta.sqlite3", lock)
