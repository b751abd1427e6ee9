"""Chunk vectors <-> Chroma (embedded in the index folder, or a server at RAG_CHROMA_URL)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ..errors import StoreError
from ..settings import Settings
from ..types import Chunk
from .data import ArticleWrite, Filters, published_day


def _http_client(url: str, chroma_settings: Any, timeout: float) -> Any:
    """A Chroma HttpClient whose every request gives up after `timeout` seconds."""
    import chromadb
    import httpx

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise StoreError(f"RAG_CHROMA_URL={url!r} is not a URL — write it as http://host:port")
    # subtle: chromadb's own HTTP session never times out (a stopped server hangs every call),
    # and its constructor already makes requests; probe first, then bound the session (below).
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 8000}"
    httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout).raise_for_status()
    client = chromadb.HttpClient(
        host=parsed.hostname,
        port=parsed.port or 8000,
        ssl=parsed.scheme == "https",
        settings=chroma_settings,
    )
    # subtle: chromadb (1.5) has no public timeout setting: chromadb.config.Settings has none
    # and its HTTP client builds `httpx.Client(timeout=None)`. So the private session is bounded
    # here; should a later chromadb rename it, requests fall back to never timing out.
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
    return client


def _metadata(it: ArticleWrite, c: Chunk) -> dict[str, Any]:
    """What Chroma keeps beside a chunk's vector: enough to filter and to check it is current."""
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
    return meta


def chroma_where(filters: Filters) -> dict[str, Any] | None:
    """The filters as a Chroma `where` on chunk metadata; None when they admit everything."""
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if (lo := published_day(filters.published_from)) is not None:
        clauses.append({"published_day": {"$gte": lo}})
    if (hi := published_day(filters.published_to)) is not None:
        clauses.append({"published_day": {"$lte": hi}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Vectors:
    """One Chroma collection; any failure is a StoreError and the next call reconnects."""

    def __init__(self, settings: Settings, folder: Path, lock: threading.RLock) -> None:
        self.settings = settings
        self.dir = folder
        self._lock = lock
        self._collection: Any = None

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

    def _call(self, op: str, **kwargs: Any) -> Any:
        """One collection call; any failure becomes a StoreError and the next call reconnects."""
        try:
            return getattr(self.collection, op)(**kwargs)
        except StoreError:
            raise
        except Exception as err:  # connection refused, timeouts, disk full
            self._collection = None  # reconnect on the next call
            raise StoreError(f"Chroma {op} failed {self._where(err)}") from err

    def upsert(self, items: list[ArticleWrite]) -> None:
        """Every chunk of these articles in one upsert (one per article cost ~10 ms a chunk).

        Vectors and their metadata only: the chunk texts live in the database, and Chroma's
        own full-text index of them (never queried) cost 30% of the upsert time.
        """
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        metas: list[dict[str, Any]] = []
        for it in items:
            for c in it.chunks:
                metas.append(_metadata(it, c))
                ids.append(c.chunk_id)
            if it.chunks:
                vectors.append(np.asarray(it.vectors, dtype=np.float32))
        if ids:
            self._call(
                "upsert",
                ids=ids,
                embeddings=np.concatenate(vectors),
                metadatas=metas,
            )

    def get(self, ids: list[str]) -> dict[str, np.ndarray]:
        """chunk_id -> its stored vector (float32), for the ids that have one."""
        if not ids:
            return {}
        got = self._call("get", ids=ids, include=["embeddings"])
        rows = np.asarray(got["embeddings"], dtype=np.float32)
        return dict(zip(got["ids"], rows, strict=True))

    def delete(self, ids: list[str]) -> None:
        if ids:
            self._call("delete", ids=ids)

    def repair(self, expected: dict[str, str], hashes: dict[str, str]) -> list[str]:
        """Drop vectors SQLite does not vouch for; return doc_ids whose vectors must be redone.

        `expected` maps each chunk_id SQLite holds to its doc_id, `hashes` each doc_id to its
        record hash; a vector whose record hash differs is stale, a chunk without one missing.
        """
        got = self._call("get", include=["metadatas"])
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
        self.delete(orphans)
        return sorted(redo)

    def nearest(self, vector: np.ndarray, n: int, filters: Filters) -> list[str]:
        """The ids of the `n` chunks nearest to the vector that the filters admit, best first
        (`n` at most the number of chunks)."""
        res = self._call(
            "query",
            query_embeddings=[vector.tolist()],
            n_results=n,
            where=chroma_where(filters),
            include=[],
        )
        return list(res["ids"][0])
