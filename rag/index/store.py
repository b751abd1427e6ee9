"""Articles + chunks + vectors -> the index: a database (articles, chunks), Chroma (vectors),
a lexical index.

The database is the record of truth: embedded SQLite in the index folder, or PostgreSQL at
RAG_DATABASE_URL, shared by several replicas (with a Chroma server for the vectors, and
full-text search in place of the BM25 files). A write goes to Chroma first and commits to the
database last, so an interrupted ingest leaves at worst vectors the database does not vouch
for; `repair()` finds them. The parts: db.py and postgres.py (the database), manifest.py (how it
was built), records.py (the rows), vectors.py (Chroma), lexical.py (BM25) or fulltext.py
(PostgreSQL), leads.py (article vectors), stories.py (copies of one story); this facade is what
the rest of rag uses.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NoIndexError, StoreError
from ..settings import Settings
from ..types import Article, Entity
from . import entity_rows
from .data import ArticleHashes, ArticleWrite, Filters, LoadedChunk
from .db import open_database
from .fulltext import FullText
from .leads import Leads
from .lexical import Lexical
from .manifest import MANIFEST, Manifest
from .records import Records
from .stories import StoryRecords
from .vectors import Vectors

#: Entity labels that name someone or somewhere (rag.entities.NAMES, without importing spaCy).
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC"})


class Store:
    """The index of one folder (plus a Chroma server when RAG_CHROMA_URL is set), or of one
    PostgreSQL database and one Chroma server (RAG_DATABASE_URL)."""

    def __init__(self, settings: Settings, create: bool = False) -> None:
        self.settings = settings
        self.dir = Path(settings.index_dir)
        shared = bool(settings.database_url)
        if shared and not settings.chroma_url:
            raise StoreError(
                "RAG_DATABASE_URL needs RAG_CHROMA_URL: with the records in PostgreSQL the "
                "vectors go to a Chroma server (`chroma run --path DIR --port PORT`)"
            )
        if not shared and not (self.dir / MANIFEST).exists() and not create:
            raise NoIndexError(f"no index at {self.dir}/ — run `rag ingest` to build it")
        self.dir.mkdir(parents=True, exist_ok=True)
        # subtle: one lock for every part: the database's one connection, and the caches on it
        self._lock = threading.RLock()
        self.db = open_database(settings, self.dir, self._lock)
        self._manifest = Manifest(self.dir, settings, self.db)
        if shared and not self._manifest.data and not create:
            self.db.close()
            raise NoIndexError(f"no index in {self.db.where} — run `rag ingest` to build it")
        self._manifest.check()
        self.fulltext = FullText(self.db) if shared else None
        self.records = Records(self.db, self.fulltext)
        self.vectors = Vectors(settings, self.dir, self._lock)
        self._lexical = self.fulltext or Lexical(self.dir, self.records, self._lock)
        self._leads = Leads(self.dir, self.records, self._lock)
        self.stories = StoryRecords(self.records)  # copies of one story (rag/stories.py)

    @staticmethod
    def exists(settings: Settings) -> bool:
        """Whether the settings point at an index that has been built."""
        if not settings.database_url:
            return (Path(settings.index_dir) / MANIFEST).exists()
        try:
            Store(settings).close()
        except NoIndexError:
            return False
        return True

    @property
    def collection(self) -> Any:
        """The Chroma collection (opened on first use)."""
        return self.vectors.collection

    # -- manifest ---------------------------------------------------------------------------

    @property
    def manifest(self) -> dict[str, Any]:
        """How the index was built (manifest.json; in a database, as another replica may have
        just written it)."""
        if self.db.kind != "sqlite":
            self._manifest.data = self._manifest.read()
        return self._manifest.data

    def check_manifest(
        self,
        dimension: int | None = None,
        chunk_tokens: int | None = None,
        encoder: str | None = None,
    ) -> None:
        """Refuse to mix settings: the index records how it was built."""
        self._manifest.check(dimension, chunk_tokens, encoder)

    def write_manifest(self, **fields: Any) -> None:
        self._manifest.write(**fields)

    # -- writes -----------------------------------------------------------------------------

    def write_articles(
        self, items: list[ArticleWrite], known: Collection[str] = ()
    ) -> list[tuple[str, str]]:
        """Replace several articles at once: one Chroma upsert and one database transaction.

        Chroma is written first and the database commits last, so a crash in between leaves
        vectors that `repair` drops (the database does not vouch for them). Returns (doc_id,
        stored as) for each article left out because another process stored the same text
        under another id since this one looked (replicas ingesting at once): articles in
        `known` had been looked at, and are no reason to leave one out.
        """
        with self._lock, self.db.exclusive():  # one writer at a time, in every replica
            twins = {d: t for d, t in self.records.twins(items).items() if t not in known}
            items = [it for it in items if it.article.doc_id not in twins]
            stored = self.records.chunk_counts([it.article.doc_id for it in items])
            stale = [
                f"{it.article.doc_id}#{n}"
                for it in items
                for n in range(len(it.chunks), stored.get(it.article.doc_id, 0))
            ]
            self.vectors.upsert(items)
            self.vectors.delete(stale)
            self.records.write(items)
        return sorted(twins.items())

    def delete_articles(self, doc_ids: Iterable[str]) -> int:
        """Remove articles from every part of the index; returns how many were removed."""
        removed = 0
        with self._lock, self.db.exclusive():
            for doc_id in doc_ids:
                self.vectors.delete(self.records.chunk_ids(doc_id))
                removed += self.records.delete(doc_id)
        return removed

    def repair(self) -> list[str]:
        """Drop vectors SQLite does not vouch for; return doc_ids whose vectors must be redone."""
        # subtle: under the write lock: another replica's vectors upserted but not yet
        # committed in the database would look like orphans
        with self._lock, self.db.exclusive():
            return self.vectors.repair(*self.records.vouched())

    def add_article_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Store article vectors for articles already in the index, in one transaction.

        subtle: the vectors were computed outside the lock. An article removed meanwhile gets
        none, and one re-ingested meanwhile keeps the vector its ingest wrote.
        """
        self.records.add_article_vectors(vectors)

    def add_entities(self, found: dict[str, tuple[str, list[Entity]]]) -> None:
        """Store entities read for articles already in the index: doc_id -> (the content hash
        of the text they were read from, entities); a changed or removed article gets none."""
        self.records.add_entities(found)

    def rebuild_bm25(self) -> None:
        """Bring the BM25 index up to date and save it atomically: the same index as one built
        from scratch, tokenizing only the chunks added or changed since the last build (with
        PostgreSQL, nothing to do: full-text rows are written with their chunks)."""
        self._lexical.rebuild()

    # -- reads ------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        return self.records.generation

    def chunk_count(self) -> int:
        return self.records.chunk_count()

    def article_count(self) -> int:
        return self.records.article_count()

    def chunk_ids(self) -> list[str]:
        """Every chunk id in the index, sorted."""
        return self.records.chunk_ids()

    def hashes(self) -> dict[str, ArticleHashes]:
        """doc_id -> its record and content hashes, its file and the folder it came from."""
        return self.records.hashes()

    def article(self, doc_id: str) -> Article | None:
        return self.records.article(doc_id)

    def articles(self) -> list[dict[str, Any]]:
        """A listing of the library (no texts)."""
        return self.records.articles()

    def chunks(self, chunk_ids: list[str]) -> dict[str, LoadedChunk]:
        """Load chunks with their articles; text comes from the article, so offsets agree."""
        return self.records.chunks(chunk_ids)

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """chunk_id -> its sentences' unit vectors (float32, one row per sentence)."""
        return self.records.sentence_vectors(chunk_ids, int(self.manifest.get("dimension") or 0))

    def allowed_docs(self, filters: Filters | None) -> set[str] | None:
        """The doc ids the filters admit; None when they admit everything.

        subtle: every question has an as-of day (today by default); when nothing is dated
        after it, that admits everything, and saying None spares the searches a set of every
        doc id (100,000 articles: about 100 ms a question).
        """
        filters = filters or Filters()
        only_as_of = filters.as_of and not replace(filters, as_of=None)
        if only_as_of and not self.records.later(str(filters.as_of))[0]:
            return None
        return self.records.allowed_docs(filters)

    def without_article_vectors(self) -> list[str]:
        """Doc ids of articles stored before article vectors existed (a schema-2 index)."""
        return self.records.without_article_vectors()

    def entities(self, doc_ids: list[str]) -> dict[str, list[Entity]]:
        """doc_id -> its sentences' entities in text order; absent when none are stored."""
        return entity_rows.entities(self.records, doc_ids)

    def entity_index(self, labels: frozenset[str] | None = None) -> dict[str, set[str]]:
        """Entity text (case-folded) -> the doc ids that mention it, for filtering by entity;
        people, organisations and places unless `labels` says otherwise.

        subtle: the label set is repeated from rag.entities.NAMES rather than imported, so that
        opening the index never imports spaCy."""
        wanted = labels or NAME_LABELS
        out: dict[str, set[str]] = {}
        for text, doc_id in entity_rows.entity_docs(self.records, wanted):
            out.setdefault(text.casefold(), set()).add(doc_id)
        return out

    def entity_names(self, limit: int = 300) -> list[str]:
        """People, organisations and places by how many articles name them, most first (as
        first written), for a filter's choices."""
        docs: dict[str, set[str]] = {}
        shown: dict[str, str] = {}
        for text, doc_id in entity_rows.entity_docs(self.records, NAME_LABELS):
            key = text.casefold()
            docs.setdefault(key, set()).add(doc_id)
            shown.setdefault(key, text)
        return [shown[k] for k in sorted(docs, key=lambda k: (-len(docs[k]), k))[:limit]]

    def without_entities(self) -> list[str]:
        """Doc ids of articles never read for entities (RAG_ENTITIES=false, or an older index)."""
        return entity_rows.without_entities(self.records)

    # -- search -----------------------------------------------------------------------------

    def dense(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[str]:
        """Chunk ids nearest to the vector (of the articles the filters admit), best first."""
        total = self.chunk_count()
        if total == 0:
            return []
        filters = filters or Filters()
        if not filters.as_of:
            return self.vectors.nearest(vector, min(n, total), filters)
        # subtle: Chroma cannot keep undated chunks under a date bound, so ask for as many more
        # as there are chunks dated after the as-of date and drop those (none, asked today)
        later, extra = self.records.later(filters.as_of)
        found = self.vectors.nearest(vector, min(n + extra, total), filters)
        return [cid for cid in found if cid.rsplit("#", 1)[0] not in later][:n]

    def lexical(self, query: str, n: int, allowed: set[str] | None) -> list[str]:
        """Chunk ids by BM25 score, best first; `allowed` restricts to those doc_ids."""
        return self._lexical.search(query, n, allowed)

    def leads(self, vector: np.ndarray, n: int, allowed: set[str] | None) -> list[str]:
        """Doc ids whose article vectors are nearest to the vector, best first."""
        return self._leads.search(vector, n, allowed)

    def close(self) -> None:
        self.records.close()
