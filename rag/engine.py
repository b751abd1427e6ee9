"""Settings -> a ready Engine: wires ingest, retrieval, answering and verification.

The LlamaIndex face of the pipeline lives here too: `as_retriever()` and `as_query_engine()`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .embed import Embedder
from .settings import Settings
from .store import Store
from .types import Answer, Article, Passage

if TYPE_CHECKING:
    from .answer import Backend
    from .indexer import IngestReport
    from .retrieve import Filters


class Engine:
    """The whole pipeline behind one object; cheap to create, loads models on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self._store: Store | None = None
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Engine:
        return cls(settings or Settings())

    @property
    def store(self) -> Store:
        """The index; NoIndexError when there is none yet."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = Store(self.settings)
        return self._store

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            from .answer import get_backend

            self._backend = get_backend(self.settings, self.embedder)
        return self._backend

    def has_index(self) -> bool:
        return (Path(self.settings.index_dir) / "manifest.json").exists()

    def ingest(
        self,
        paths: list[str | Path] | None = None,
        prune: bool = False,
        progress: bool | None = None,
    ) -> IngestReport:
        """Add, update (and with prune, remove) articles; see IngestReport."""
        from .indexer import run_ingest

        if self._store is None:
            self._store = Store(self.settings, create=True)
        targets = [Path(p) for p in (paths or [self.settings.seeds_dir])]
        return run_ingest(self._store, self.embedder, self.settings, targets, prune, progress)

    def retrieve(
        self, question: str, top_k: int | None = None, filters: Filters | None = None
    ) -> list[Passage]:
        from .retrieve import retrieve

        store = self.store  # a missing or mismatched index fails before the model loads
        vector = self.embedder.encode_cached([question])[0]
        return retrieve(
            store, question, vector, top_k or self.settings.top_k, filters, self.settings.rrf_k
        )

    def ask(
        self, question: str, top_k: int | None = None, filters: Filters | None = None
    ) -> Answer:
        """Answer from the articles: every sentence cited and checked, or an abstention."""
        from dataclasses import replace

        from .errors import RagError
        from .verify import verify_citations

        question = question.strip()
        if not question:
            raise RagError("the question is empty — type a question about the articles")
        t0 = time.perf_counter()
        passages = self.retrieve(question, top_k, filters)
        t1 = time.perf_counter()
        vector = self.embedder.encode_cached([question])[0]
        answer = self.backend.answer(question, passages, vector)
        answer = verify_citations(answer, self.store.article)
        t2 = time.perf_counter()
        timings = {
            "retrieve": (t1 - t0) * 1000,
            "answer": (t2 - t1) * 1000,
            "total": (t2 - t0) * 1000,
        }
        return replace(answer, timings=timings, backend=self.backend.name)

    def article(self, doc_id: str) -> Article | None:
        return self.store.article(doc_id)

    def articles(self) -> list[dict[str, Any]]:
        """The library: doc_id, title, source, published, url, chunks, path (no texts)."""
        return self.store.articles() if self.has_index() else []

    def remove(self, doc_ids: list[str]) -> int:
        """Delete articles from the index (not their files); returns how many were removed."""
        removed = self.store.delete_articles(doc_ids)
        self.store.rebuild_bm25()
        self.store.write_manifest(
            articles=self.store.article_count(), chunks=self.store.chunk_count()
        )
        return removed

    def stats(self) -> dict[str, Any]:
        """Counts and how the index was built (reads no model)."""
        store = self.store
        return {
            "index_dir": str(self.settings.index_dir),
            "articles": store.article_count(),
            "chunks": store.chunk_count(),
            "manifest": store.manifest,
        }

    def as_retriever(self, top_k: int | None = None) -> Any:
        """A LlamaIndex retriever over the hybrid (dense + BM25) retrieval."""
        from .llama import HybridRetriever

        return HybridRetriever(self, top_k)

    def as_query_engine(self, top_k: int | None = None) -> Any:
        """A LlamaIndex query engine; Response.source_nodes are the cited passages only."""
        from .llama import CitedQueryEngine

        return CitedQueryEngine(engine=self, top_k=top_k)
