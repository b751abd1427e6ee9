"""Articles, chunks and their vectors <-> the index's record of truth (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol

import numpy as np

from ..types import Article, Chunk, Entity
from . import entity_rows
from .data import ArticleHashes, ArticleWrite, Filters, LoadedChunk
from .db import Database, Writer

#: How sentence vectors are stored: one float16 row per sentence of a chunk, in its order.
SENTENCE_VECTORS = "float16"


def _article_row(it: ArticleWrite) -> tuple[object, ...]:
    a = it.article
    return (a.doc_id, a.title, a.source, a.published, a.url, a.author, a.path, it.root,
            it.content_hash, it.record_hash, a.text, len(it.chunks), time.time())  # fmt: skip


class ChunkKey(NamedTuple):
    """A chunk and what its text derives from: its article's record hash and its span."""

    chunk_id: str
    doc_id: str
    record_hash: str
    char_start: int
    char_end: int


class RowHook(Protocol):
    """Rows kept beside an article's (its chunks' full-text terms in PostgreSQL)."""

    def insert(self, tx: Writer, items: list[ArticleWrite]) -> None: ...

    def delete(self, tx: Writer, doc_ids: list[str]) -> None: ...


class Records:
    """The record of truth (SQLite or PostgreSQL, see db.py): every write bumps a generation
    the caches key on."""

    def __init__(self, db: Database, hook: RowHook | None = None) -> None:
        self.db = db
        self.lock = db.lock
        self.hook = hook
        # an article dated after the `?` date + U+FFFF (undated ones never are): a range on
        # the `published` index (ISO text), not a scan of every row (100,000 articles: 150 ms)
        self.later_sql = f"published > ? AND {db.DATED}"

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return self.db.rows(sql, params)

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.db.one(sql, params)

    def _rows_in(self, sql: str, keys: list[str]) -> list[Any]:
        return self.db.rows_in(sql, keys)

    # -- writes -----------------------------------------------------------------------------

    def write(self, items: list[ArticleWrite]) -> None:
        """Replace these articles' rows in one transaction, a statement per table for the
        whole batch (PostgreSQL pays a round trip per statement)."""
        ids = [it.article.doc_id for it in items]
        with self.db.transaction() as tx:
            if self.hook is not None:
                self.hook.delete(tx, ids)
            self._delete_rows(tx, ids)
            tx.executemany("DELETE FROM articles WHERE doc_id=?", [(d,) for d in ids])
            tx.executemany(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [_article_row(it) for it in items],
            )
            tx.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                [
                    (c.chunk_id, c.doc_id, c.n, c.char_start, c.char_end, json.dumps(c.sentences))
                    for it in items
                    for c in it.chunks
                ],
            )
            tx.executemany(
                "INSERT INTO article_vectors VALUES (?,?)",
                [
                    (it.article.doc_id, np.asarray(it.article_vector, np.float16).tobytes())
                    for it in items
                    if it.article_vector is not None
                ],
            )
            tx.executemany(
                "INSERT INTO sentence_vectors VALUES (?,?,?)",
                [
                    (c.chunk_id, c.doc_id, v.astype(np.float16).tobytes())
                    for it in items
                    if it.sentence_vectors is not None
                    for c, v in zip(it.chunks, it.sentence_vectors, strict=True)
                ],
            )
            entity_rows.insert(tx, [(it.article.doc_id, it.entities) for it in items])
            if self.hook is not None:
                self.hook.insert(tx, items)
            self._bump(tx)

    def twins(self, items: list[ArticleWrite]) -> dict[str, str]:
        """doc_id -> the stored article with the same text under another id, for the items
        that have one (not counting articles these items replace)."""
        ours = {it.article.doc_id for it in items}
        rows = self._rows_in(
            "SELECT content_hash, doc_id FROM articles WHERE content_hash",
            sorted({it.content_hash for it in items}),
        )
        stored = {h: d for h, d in sorted(rows) if d not in ours}
        out = {}
        for it in items:
            twin = stored.get(it.content_hash)
            if twin is not None:
                out[it.article.doc_id] = twin
        return out

    def delete(self, doc_id: str) -> int:
        """Remove one article's rows in one transaction; returns 1 if it was there, else 0."""
        with self.db.transaction() as tx:
            if self.hook is not None:
                self.hook.delete(tx, [doc_id])
            self._delete_rows(tx, [doc_id])
            removed = tx.execute("DELETE FROM articles WHERE doc_id=?", (doc_id,)).rowcount
            self._bump(tx)
        return int(removed)

    def _delete_rows(self, tx: Writer, doc_ids: list[str]) -> None:
        """Every row of these articles but the article's own."""
        keys = [(d,) for d in doc_ids]
        entity_rows.delete(tx, keys)
        for table in ("sentence_vectors", "article_vectors", "stories", "chunks"):
            # a story's other copies keep their rows
            tx.executemany(f"DELETE FROM {table} WHERE doc_id=?", keys)

    def _bump(self, tx: Writer) -> None:
        tx.execute(
            "INSERT INTO state VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(CAST(state.value AS INTEGER) + 1 AS TEXT)"
        )

    @property
    def generation(self) -> int:
        """Bumped by every write: a cache built at another generation is stale."""
        return int(self.db.get_state("generation") or 0)

    def add_article_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Store article vectors for articles still in the index, in one transaction."""
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO article_vectors SELECT ?, ? "
                "WHERE EXISTS (SELECT 1 FROM articles WHERE doc_id=?) ON CONFLICT DO NOTHING",
                [(d, np.asarray(v, dtype=np.float16).tobytes(), d) for d, v in vectors.items()],
            )
            self._bump(tx)

    def add_entities(self, found: dict[str, tuple[str, list[Entity]]]) -> None:
        """Store entities read after the fact (see entity_rows.backfill), in one transaction."""
        with self.db.transaction() as tx:
            entity_rows.backfill(tx, found)
            self._bump(tx)

    # -- reads ------------------------------------------------------------------------------

    def chunk_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM chunks")[0])

    def chunk_counts(self, doc_ids: list[str]) -> dict[str, int]:
        """doc_id -> its stored chunk count, for those stored (one query for a batch)."""
        rows = self._rows_in("SELECT doc_id, n_chunks FROM articles WHERE doc_id", doc_ids)
        return {d: int(n) for d, n in rows}

    def article_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM articles")[0])

    def chunk_ids(self, doc_id: str | None = None) -> list[str]:
        """Every chunk id in order, or one article's."""
        if doc_id is None:
            return [r[0] for r in self._rows("SELECT chunk_id FROM chunks ORDER BY chunk_id")]
        return [r[0] for r in self._rows("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]

    def hashes(self) -> dict[str, ArticleHashes]:
        """doc_id -> its hashes, file and folder."""
        rows = self._rows("SELECT doc_id, record_hash, content_hash, path, root FROM articles")
        return {r[0]: ArticleHashes(*r[1:]) for r in rows}

    def vouched(self) -> tuple[dict[str, str], dict[str, str]]:
        """What SQLite vouches for: chunk_id -> doc_id, and doc_id -> record_hash."""
        expected: dict[str, str] = {}
        hashes: dict[str, str] = {}
        for chunk_id, doc_id, rhash in self._rows(
            "SELECT c.chunk_id, c.doc_id, a.record_hash FROM chunks c JOIN articles a USING(doc_id)"
        ):
            expected[chunk_id] = doc_id
            hashes[doc_id] = rhash
        return expected, hashes

    def article(self, doc_id: str) -> Article | None:
        return self.articles_by_id([doc_id]).get(doc_id)

    def articles_by_id(self, doc_ids: list[str]) -> dict[str, Article]:
        """doc_id -> its article, for those stored (a query per IN batch, not one each)."""
        sql = "SELECT doc_id, title, text, source, published, url, author, path FROM articles"
        return {r[0]: Article(*r) for r in self._rows_in(sql + " WHERE doc_id", doc_ids)}

    def chunk_ids_of(self, doc_ids: list[str]) -> dict[str, list[str]]:
        """doc_id -> its chunk ids in order, for those stored."""
        rows = self._rows_in("SELECT doc_id, n, chunk_id FROM chunks WHERE doc_id", doc_ids)
        out: dict[str, list[str]] = {}
        for doc_id, _, chunk_id in sorted(rows):
            out.setdefault(doc_id, []).append(chunk_id)
        return out

    def articles(self) -> list[dict[str, Any]]:
        """A listing of the library (no texts)."""
        rows = self._rows(
            "SELECT doc_id, title, source, published, url, n_chunks, path FROM articles "
            "ORDER BY doc_id"
        )
        keys = ("doc_id", "title", "source", "published", "url", "chunks", "path")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def chunks(self, chunk_ids: list[str]) -> dict[str, LoadedChunk]:
        """Load chunks with their articles, in the order asked, leaving out ids not stored;
        text comes from the article, so offsets agree."""
        asked = list(dict.fromkeys(chunk_ids))
        with self.lock:  # one snapshot: a concurrent ingest may replace an article's rows
            rows = {
                r[0]: r
                for r in self._rows_in(
                    "SELECT chunk_id, doc_id, n, char_start, char_end, sentences FROM chunks "
                    "WHERE chunk_id",
                    asked,
                )
            }
            articles = {
                r[0]: Article(*r)
                for r in self._rows_in(
                    "SELECT doc_id, title, text, source, published, url, author, path "
                    "FROM articles WHERE doc_id",
                    sorted({r[1] for r in rows.values()}),
                )
            }
        out: dict[str, LoadedChunk] = {}
        for cid in asked:
            if (row := rows.get(cid)) is None or (art := articles.get(row[1])) is None:
                continue
            chunk_id, doc_id, n, start, end, sentences = row
            spans = tuple((int(s), int(e)) for s, e in json.loads(sentences))
            chunk = Chunk(chunk_id, doc_id, n, start, end, art.text[start:end], spans)
            out[chunk_id] = LoadedChunk(chunk, art)
        return out

    def sentence_vectors(self, chunk_ids: list[str], dim: int) -> dict[str, np.ndarray]:
        """chunk_id -> its sentences' unit vectors (float32, one row per sentence)."""
        if not dim:
            return {}
        rows = self._rows_in(
            "SELECT chunk_id, vectors FROM sentence_vectors WHERE chunk_id", chunk_ids
        )
        return {
            cid: np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32)
            for cid, blob in rows
        }

    def allowed_docs(self, filters: Filters) -> set[str] | None:
        """The doc ids the filters admit; None when they admit everything."""
        if not filters:
            return None
        sql: list[str] = ["1=1"]
        params: list[str] = []
        if filters.sources:
            sql.append(f"source IN ({','.join('?' * len(filters.sources))})")
            params.extend(filters.sources)
        if filters.published_from or filters.published_to:
            # subtle: a date kept as written ("Spring 2023") would compare as text; like
            # Chroma's published_day filter, a date range admits only YYYY-MM-DD dates
            sql.append(self.db.DATED)
        if filters.published_from:
            sql.append("substr(published, 1, 10) >= ?")
            params.append(filters.published_from[:10])
        if filters.published_to:
            sql.append("substr(published, 1, 10) <= ?")
            params.append(filters.published_to[:10])
        if filters.as_of:
            sql.append(f"NOT ({self.later_sql})")
            params.append(filters.as_of[:10] + "\uffff")
        rows = self._rows(f"SELECT doc_id FROM articles WHERE {' AND '.join(sql)}", tuple(params))
        return {r[0] for r in rows}

    def later(self, as_of: str) -> tuple[set[str], int]:
        """Articles dated after `as_of`, and how many chunks they hold."""
        rows = self._rows(
            f"SELECT doc_id, n_chunks FROM articles WHERE {self.later_sql}",
            (as_of[:10] + "\uffff",),
        )
        return {r[0] for r in rows}, sum(r[1] for r in rows)

    def without_article_vectors(self) -> list[str]:
        """Doc ids of articles stored before article vectors existed (a schema-2 index)."""
        rows = self._rows(
            "SELECT doc_id FROM articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM article_vectors v WHERE v.doc_id = a.doc_id) "
            "ORDER BY doc_id"
        )
        return [r[0] for r in rows]

    def article_vectors(self) -> list[tuple[str, bytes]]:
        """(doc_id, float16 bytes) of every stored article, by doc_id."""
        return self._rows(
            "SELECT v.doc_id, v.vector FROM article_vectors v JOIN articles a USING(doc_id) "
            "ORDER BY v.doc_id"
        )

    def article_vectors_of(self, doc_ids: list[str]) -> list[tuple[str, np.ndarray]]:
        """(doc_id, float16 vector) of these articles, where stored."""
        rows = self._rows_in("SELECT doc_id, vector FROM article_vectors WHERE doc_id", doc_ids)
        return [(r[0], np.frombuffer(r[1], dtype=np.float16)) for r in rows]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the index, whatever another process writes meanwhile."""
        with self.db.snapshot():
            yield

    def chunk_keys(self) -> list[ChunkKey]:
        """Every chunk with what its text derives from, by article and in article order."""
        rows = self._rows(
            "SELECT c.chunk_id, c.doc_id, a.record_hash, c.char_start, c.char_end "
            "FROM chunks c JOIN articles a USING(doc_id) ORDER BY c.doc_id, c.n"
        )
        return [ChunkKey(*r) for r in rows]

    def heads(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        """doc_id -> (title, text) of these articles."""
        rows = self._rows_in("SELECT doc_id, title, text FROM articles WHERE doc_id", doc_ids)
        return {r[0]: (r[1], r[2]) for r in rows}

    def close(self) -> None:
        self.db.close()
