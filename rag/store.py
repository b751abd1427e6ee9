"""Articles + chunks + vectors -> the index: SQLite (articles, chunks), Chroma (vectors), BM25.

SQLite is the record of truth. A write goes to Chroma first and commits to SQLite last, so an
interrupted ingest leaves at worst vectors SQLite does not vouch for; `repair()` finds them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from .errors import IndexMismatchError, NoIndexError, StoreError
from .settings import Settings
from .text import terms
from .types import Article, Chunk

SCHEMA_VERSION = 3  # 2: sentence vectors stored at ingest; 3: article vectors
#: Older schemas this version still opens: a 2 answers without article vectors until the next
#: `rag ingest` adds them (see indexer.add_article_vectors).
READABLE = (2, 3)
MANIFEST = "manifest.json"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, published TEXT, url TEXT,
    author TEXT, path TEXT, root TEXT, content_hash TEXT NOT NULL, record_hash TEXT NOT NULL,
    text TEXT NOT NULL, n_chunks INTEGER NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS articles_content ON articles(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, n INTEGER NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, sentences TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, vectors BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentence_vectors_doc ON sentence_vectors(doc_id);
CREATE TABLE IF NOT EXISTS article_vectors (doc_id TEXT PRIMARY KEY, vector BLOB NOT NULL);
"""
#: How sentence vectors are stored: one float16 row per sentence of a chunk, in its order.
SENTENCE_VECTORS = "float16"


TITLE_CHARS = 160  # headline prefix embedded with each chunk


def embed_text(title: str, chunk_text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: its headline, then its sentences."""
    return f"{title[:TITLE_CHARS]}\n{chunk_text}"


def published_day(published: str | None) -> int | None:
    """'2023-01-06' -> 20230106, for date-range filters in Chroma."""
    if published and len(published) >= 10 and published[4] == "-" and published[7] == "-":
        digits = published[:10].replace("-", "")
        if digits.isdigit():
            return int(digits)
    return None


def _http_client(url: str, chroma_settings: Any, timeout: float) -> Any:
    """A Chroma HttpClient whose every request gives up after `timeout` seconds."""
    import chromadb
    import httpx

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise StoreError(f"RAG_CHROMA_URL={url!r} is not a URL — write it as http://host:port")
    # subtle: chromadb's own HTTP session never times out (a stopped server hangs every call),
    # and its constructor already makes requests; probe first, then bound the session.
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 8000}"
    httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout).raise_for_status()
    client = chromadb.HttpClient(
        host=parsed.hostname,
        port=parsed.port or 8000,
        ssl=parsed.scheme == "https",
        settings=chroma_settings,
    )
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
    return client


@dataclass
class ArticleWrite:
    """One article's chunks and vectors, ready to be stored."""

    article: Article
    chunks: list[Chunk]
    vectors: np.ndarray
    content_hash: str
    record_hash: str
    root: str | None
    sentence_vectors: list[np.ndarray] | None = None  # per chunk: one row per sentence
    article_vector: np.ndarray | None = None  # headline and opening (see Settings.lead_tokens)


class Store:
    """The on-disk index of one folder (plus a Chroma server when RAG_CHROMA_URL is set)."""

    def __init__(self, settings: Settings, create: bool = False) -> None:
        self.settings = settings
        self.dir = Path(settings.index_dir)
        self._lock = threading.RLock()
        self._collection: Any = None
        self._bm25: Any = None
        self._bm25_ids: list[str] = []
        self._bm25_gen = -1
        self._leads: tuple[int, list[str], np.ndarray] | None = None  # generation, ids, rows
        path = self.dir / MANIFEST
        if not path.exists() and not create:
            raise NoIndexError(f"no index at {self.dir}/ — run `rag ingest` to build it")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.manifest: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        self.check_manifest()
        self.db = sqlite3.connect(self.dir / "meta.sqlite3", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    # -- manifest ---------------------------------------------------------------------------

    def check_manifest(
        self,
        dimension: int | None = None,
        chunk_tokens: int | None = None,
        encoder: str | None = None,
    ) -> None:
        """Refuse to mix settings: the index records how it was built."""
        m = self.manifest
        if not m:
            return
        fix = f"point RAG_INDEX_DIR elsewhere or delete {self.dir}/ and run `rag ingest`"
        if (self.dir / "uploads").is_dir():
            fix += f" (copy {self.dir}/uploads/ out first: it holds the files uploaded in the UI)"
        if m.get("schema_version") not in READABLE:
            raise IndexMismatchError(
                f"index at {self.dir}/ has schema {m.get('schema_version')}, this version "
                f"reads {', '.join(map(str, READABLE))} — {fix}"
            )
        wanted = {
            "embed_model": self.settings.embed_model,
            "encoder": encoder or self.settings.encoder,
            "chunk_overlap": self.settings.chunk_overlap,
            "dimension": dimension,
            "chunk_tokens": chunk_tokens,
            # absent from a schema-2 index: the next ingest adds its article vectors
            "lead_tokens": self.settings.lead_tokens if "lead_tokens" in m else None,
        }
        for key, value in wanted.items():
            if value is not None and m.get(key) != value:
                raise IndexMismatchError(
                    f"index at {self.dir}/ was built with {key}={m.get(key)!r}, settings say "
                    f"{value!r} — {fix}"
                )

    def write_manifest(self, **fields: Any) -> None:
        m = {"schema_version": SCHEMA_VERSION, **self.manifest, **fields}
        m["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        m.setdefault("created_at", m["updated_at"])
        tmp = self.dir / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(m, indent=2, sort_keys=True))
        os.replace(tmp, self.dir / MANIFEST)  # atomic: a crash leaves the old or the new one
        self.manifest = m

    # -- chroma -----------------------------------------------------------------------------

    @property
    def collection(self) -> Any:
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    self._collection = self._open_collection()
        return self._collection

    def _open_collection(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        url = self.settings.chroma_url
        try:
            if url:
                client = _http_client(url, chroma_settings, self.settings.chroma_timeout)
            else:
                client = chromadb.PersistentClient(
                    path=str(self.dir / "chroma"), settings=chroma_settings
                )
            # subtle: embedding_function=None, or Chroma installs a default that downloads a model.
            return client.get_or_create_collection(
                self.settings.collection,
                embedding_function=None,
                metadata={"hnsw:space": "cosine"},
            )
        except StoreError:
            raise
        except Exception as err:  # chromadb raises many types for connection and disk errors
            raise StoreError(f"cannot open the Chroma store {self._where(err)}") from err

    def _where(self, err: Exception) -> str:
        """Where the store is, what went wrong, and what to do about it."""
        url = self.settings.chroma_url
        what = f"{type(err).__name__}: {err}"
        if url:
            return (
                f"at {url} ({what}) — start it with `chroma run --path DIR --host HOST --port "
                "PORT` or fix RAG_CHROMA_URL, then try again"
            )
        where = self.dir / "chroma"
        return f"at {where} ({what}) — check the disk and that no other process is using it"

    def _chroma(self, op: str, **kwargs: Any) -> Any:
        """One collection call; any failure becomes a StoreError and the next call reconnects."""
        try:
            return getattr(self.collection, op)(**kwargs)
        except StoreError:
            raise
        except Exception as err:  # connection refused, timeouts, disk full
            self._collection = None  # reconnect on the next call
            raise StoreError(f"Chroma {op} failed {self._where(err)}") from err

    # -- writes -----------------------------------------------------------------------------

    def write_article(
        self,
        article: Article,
        chunks: list[Chunk],
        vectors: np.ndarray,
        content_hash: str,
        record_hash: str,
        root: str | None,
        sentence_vectors: list[np.ndarray] | None = None,
    ) -> None:
        """Replace one article's chunks and vectors; SQLite commits last.

        `sentence_vectors[i]` holds one unit vector per sentence of `chunks[i]`, in order.
        """
        item = ArticleWrite(
            article, chunks, vectors, content_hash, record_hash, root, sentence_vectors
        )
        self.write_articles([item])

    def write_articles(self, items: list[ArticleWrite]) -> None:
        """Replace several articles at once: one Chroma upsert and one SQLite transaction.

        Chroma is written first and SQLite commits last, so a crash in between leaves vectors
        that `repair` drops (SQLite does not vouch for them). One upsert per article cost
        about 10 ms a chunk; one per batch costs a fraction of that.
        """
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        metas: list[dict[str, Any]] = []
        docs: list[str] = []
        for it in items:
            for c in it.chunks:
                meta: dict[str, Any] = {
                    "doc_id": c.doc_id,
                    "n": c.n,
                    "char_start": c.char_start,
                    "char_end": c.char_end,
                    "record_hash": it.record_hash,
                }
                if it.article.source:
                    meta["source"] = it.article.source
                if (day := published_day(it.article.published)) is not None:
                    meta["published_day"] = day
                metas.append(meta)
                ids.append(c.chunk_id)
                docs.append(c.text)
            if it.chunks:
                vectors.append(np.asarray(it.vectors, dtype=np.float32))
        with self._lock:
            stale = [
                f"{it.article.doc_id}#{n}"
                for it in items
                for n in range(len(it.chunks), self.chunk_count(it.article.doc_id))
            ]
            if ids:
                self._chroma(
                    "upsert",
                    ids=ids,
                    embeddings=np.concatenate(vectors),
                    metadatas=metas,
                    documents=docs,
                )
            if stale:
                self._chroma("delete", ids=stale)
            with self.db:
                for it in items:
                    self._write_rows(it)
                self._bump()

    def _write_rows(self, it: ArticleWrite) -> None:
        article, chunks = it.article, it.chunks
        self._delete_rows(article.doc_id)
        self.db.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.doc_id,
                article.title,
                article.source,
                article.published,
                article.url,
                article.author,
                article.path,
                it.root,
                it.content_hash,
                it.record_hash,
                article.text,
                len(chunks),
                time.time(),
            ),
        )
        self.db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?)",
            [
                (c.chunk_id, c.doc_id, c.n, c.char_start, c.char_end, json.dumps(c.sentences))
                for c in chunks
            ],
        )
        if it.article_vector is not None:
            self.db.execute(
                "INSERT INTO article_vectors VALUES (?,?)",
                (article.doc_id, np.asarray(it.article_vector, dtype=np.float16).tobytes()),
            )
        if it.sentence_vectors is not None:
            self.db.executemany(
                "INSERT INTO sentence_vectors VALUES (?,?,?)",
                [
                    (c.chunk_id, c.doc_id, v.astype(np.float16).tobytes())
                    for c, v in zip(chunks, it.sentence_vectors, strict=True)
                ],
            )

    def delete_articles(self, doc_ids: Iterable[str]) -> int:
        """Remove articles from every part of the index; returns how many were removed."""
        removed = 0
        with self._lock:
            for doc_id in doc_ids:
                ids = [
                    r[0]
                    for r in self.db.execute(
                        "SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,)
                    )
                ]
                if ids:
                    self._chroma("delete", ids=ids)
                with self.db:
                    removed += self._delete_rows(doc_id)
                    self._bump()
        return removed

    def _delete_rows(self, doc_id: str) -> int:
        self.db.execute("DELETE FROM sentence_vectors WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM article_vectors WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        return self.db.execute("DELETE FROM articles WHERE doc_id=?", (doc_id,)).rowcount

    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO state VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
            "SET value = CAST(value AS INTEGER) + 1"
        )

    @property
    def generation(self) -> int:
        row = self._one("SELECT value FROM state WHERE key='generation'")
        return int(row[0]) if row else 0

    def repair(self) -> list[str]:
        """Drop vectors SQLite does not vouch for; return doc_ids whose vectors must be redone."""
        expected: dict[str, str] = {}
        hashes: dict[str, str] = {}
        for chunk_id, doc_id, rhash in self.db.execute(
            "SELECT c.chunk_id, c.doc_id, a.record_hash FROM chunks c JOIN articles a USING(doc_id)"
        ):
            expected[chunk_id] = doc_id
            hashes[doc_id] = rhash
        got = self._chroma("get", include=["metadatas"])
        seen: set[str] = set()
        orphans, redo = [], set()
        for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True):
            doc_id = expected.get(chunk_id)
            if doc_id is None:
                orphans.append(chunk_id)
            elif (meta or {}).get("record_hash") != hashes[doc_id]:
                redo.add(doc_id)
            seen.add(chunk_id)
        redo.update(doc for cid, doc in expected.items() if cid not in seen)
        if orphans:
            self._chroma("delete", ids=orphans)
        return sorted(redo)

    # -- reads ------------------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        # subtle: one connection serves every thread (the UI answers concurrently); the lock
        # keeps two threads from interleaving on it.
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            return self.db.execute(sql, params).fetchone()

    def chunk_count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return int(self._one("SELECT COUNT(*) FROM chunks")[0])
        row = self._one("SELECT n_chunks FROM articles WHERE doc_id=?", (doc_id,))
        return int(row[0]) if row else 0

    def article_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM articles")[0])

    def hashes(self) -> dict[str, tuple[str, str, str | None, str | None]]:
        """doc_id -> (record_hash, content_hash, path, root)."""
        rows = self._rows("SELECT doc_id, record_hash, content_hash, path, root FROM articles")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def article(self, doc_id: str) -> Article | None:
        row = self._one(
            "SELECT doc_id, title, text, source, published, url, author, path FROM articles "
            "WHERE doc_id=?",
            (doc_id,),
        )
        return Article(*row) if row else None

    def articles(self) -> list[dict[str, Any]]:
        """A listing of the library (no texts)."""
        rows = self._rows(
            "SELECT doc_id, title, source, published, url, n_chunks, path FROM articles "
            "ORDER BY doc_id"
        )
        keys = ("doc_id", "title", "source", "published", "url", "chunks", "path")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def chunks(self, chunk_ids: list[str]) -> dict[str, tuple[Chunk, Article]]:
        """Load chunks with their articles; text comes from the article, so offsets agree."""
        with self._lock:  # one snapshot: a concurrent ingest may replace an article's rows
            rows = [
                self._one(
                    "SELECT chunk_id, doc_id, n, char_start, char_end, sentences FROM chunks "
                    "WHERE chunk_id=?",
                    (chunk_id,),
                )
                for chunk_id in chunk_ids
            ]
            docs = {row[1] for row in rows if row is not None}
            articles = {doc_id: self.article(doc_id) for doc_id in docs}
        out: dict[str, tuple[Chunk, Article]] = {}
        for row in rows:
            if row is None or (art := articles[row[1]]) is None:
                continue
            chunk_id, doc_id, n, start, end, sentences = row
            spans = tuple((int(s), int(e)) for s, e in json.loads(sentences))
            out[chunk_id] = (
                Chunk(chunk_id, doc_id, n, start, end, art.text[start:end], spans),
                art,
            )
        return out

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """chunk_id -> its sentences' unit vectors (float32, one row per sentence)."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._rows(
            f"SELECT chunk_id, vectors FROM sentence_vectors WHERE chunk_id IN ({marks})",
            tuple(chunk_ids),
        )
        dim = int(self.manifest.get("dimension") or 0)
        return {
            cid: np.frombuffer(blob, dtype=np.float16).reshape(-1, dim).astype(np.float32)
            for cid, blob in rows
            if dim
        }

    def doc_ids_where(self, sql: str, params: tuple[Any, ...]) -> set[str]:
        return {r[0] for r in self._rows(f"SELECT doc_id FROM articles WHERE {sql}", params)}

    # -- search -----------------------------------------------------------------------------

    def dense(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[str]:
        """Chunk ids nearest to the vector, best first."""
        total = self.chunk_count()
        if total == 0:
            return []
        res = self._chroma(
            "query",
            query_embeddings=[vector.tolist()],
            n_results=min(n, total),
            where=where or None,
            include=[],
        )
        return list(res["ids"][0])

    def without_article_vectors(self) -> list[str]:
        """Doc ids of articles stored before article vectors existed (a schema-2 index)."""
        rows = self._rows(
            "SELECT doc_id FROM articles WHERE doc_id NOT IN (SELECT doc_id FROM article_vectors) "
            "ORDER BY doc_id"
        )
        return [r[0] for r in rows]

    def add_article_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Store article vectors for articles already in the index, in one transaction.

        subtle: the vectors were computed outside the lock. An article removed meanwhile gets
        none, and one re-ingested meanwhile keeps the vector its ingest wrote.
        """
        with self._lock, self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO article_vectors SELECT ?, ? "
                "WHERE EXISTS (SELECT 1 FROM articles WHERE doc_id=?)",
                [(d, np.asarray(v, dtype=np.float16).tobytes(), d) for d, v in vectors.items()],
            )
            self._bump()

    def leads(self, vector: np.ndarray, n: int, allowed: set[str] | None) -> list[str]:
        """Doc ids whose article vectors are nearest to the vector, best first.

        A brute-force product over every article (10,000 articles: 15 MB, about a millisecond),
        held in memory until the index changes.
        """
        gen = self.generation
        cached = self._leads
        if cached is None or cached[0] != gen:
            rows = self._rows(
                "SELECT v.doc_id, v.vector FROM article_vectors v JOIN articles a USING(doc_id) "
                "ORDER BY v.doc_id"
            )
            # built outside the lock: the other threads keep answering meanwhile
            dim = len(rows[0][1]) // 2 if rows else len(vector)  # float16
            if any(len(blob) != 2 * dim for _, blob in rows):
                raise IndexMismatchError(self._mixed_vectors("of different lengths"))
            blob = b"".join(r[1] for r in rows)
            matrix = np.frombuffer(blob, dtype=np.float16).reshape(len(rows), dim)
            cached = (gen, [r[0] for r in rows], matrix.astype(np.float32))
            with self._lock:
                self._leads = cached
        _, ids, matrix = cached
        if not ids:
            return []
        if matrix.shape[1] != len(vector):
            raise IndexMismatchError(
                self._mixed_vectors(f"of {matrix.shape[1]}, the question {len(vector)} dimensions")
            )
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        if allowed is not None:
            scores[[d not in allowed for d in ids]] = -np.inf
        k = min(n, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [ids[i] for i in top if np.isfinite(scores[i])]

    def _mixed_vectors(self, what: str) -> str:
        return (
            f"the article vectors in {self.dir}/ are {what} — delete {self.dir}/ and run "
            "`rag ingest`"
        )

    def lexical(self, query: str, n: int, allowed: set[str] | None) -> list[str]:
        """Chunk ids by BM25 score, best first; `allowed` restricts to those doc_ids."""
        self._load_bm25()
        with self._lock:  # subtle: a rebuild swaps both; take the pair as one snapshot
            bm25, ids = self._bm25, self._bm25_ids
        if bm25 is None or not ids:
            return []
        q = terms(query)
        if not q:
            return []
        mask = None
        if allowed is not None:
            mask = np.array([cid.rsplit("#", 1)[0] in allowed for cid in ids], dtype=np.float32)
        k = min(n, len(ids))
        docs, scores = bm25.retrieve([q], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [ids[i] for i, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def _load_bm25(self) -> None:
        gen = self.generation
        if self._bm25_gen == gen:
            return
        with self._lock:
            path = self.dir / "bm25"
            meta = path / "ids.json"
            if not meta.exists() or json.loads(meta.read_text())["generation"] != gen:
                self.rebuild_bm25()
                return
            import bm25s

            self._bm25 = bm25s.BM25.load(str(path), mmap=False, show_progress=False)
            self._bm25_ids = json.loads(meta.read_text())["ids"]
            self._bm25_gen = gen

    def rebuild_bm25(self) -> None:
        """Re-index every chunk for BM25 (fast: a sparse matrix build) and save it atomically."""
        import bm25s

        with self._lock:
            gen = self.generation
            ids: list[str] = []
            corpus: list[list[str]] = []
            titles: dict[str, tuple[str, str]] = {}
            for chunk_id, doc_id, start, end in self.db.execute(
                "SELECT chunk_id, doc_id, char_start, char_end FROM chunks ORDER BY doc_id, n"
            ):
                if doc_id not in titles:
                    row = self.db.execute(
                        "SELECT title, text FROM articles WHERE doc_id=?", (doc_id,)
                    ).fetchone()
                    titles = {doc_id: row}  # one article at a time: chunks are ordered by doc
                title, text = titles[doc_id]
                ids.append(chunk_id)
                corpus.append(terms(embed_text(title, text[start:end])))
            retriever = bm25s.BM25()
            if ids:
                retriever.index(corpus, show_progress=False)
            tmp = self.dir / "bm25.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            if ids:
                retriever.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps({"generation": gen, "ids": ids}))
            old = self.dir / "bm25.old"
            shutil.rmtree(old, ignore_errors=True)
            if (self.dir / "bm25").exists():
                os.replace(self.dir / "bm25", old)
            os.replace(tmp, self.dir / "bm25")
            shutil.rmtree(old, ignore_errors=True)
            self._bm25 = retriever if ids else None
            self._bm25_ids = ids
            self._bm25_gen = gen

    def close(self) -> None:
        self.db.close()
