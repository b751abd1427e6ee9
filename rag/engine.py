"""Settings -> a ready Engine: wires ingest, retrieval, answering and verification.

The LlamaIndex face of the pipeline lives here too: `as_retriever()` and `as_query_engine()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .embed import Embedder
from .index import Store
from .settings import Settings
from .types import Answer, Article, Passage, Reply

if TYPE_CHECKING:
    from .answer import Backend
    from .indexer import IngestReport
    from .retrieve import Filters
    from .verify import Verifier
    from .when import Period


class Engine:
    """The whole pipeline behind one object; cheap to create, loads models on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self._store: Store | None = None
        self._backend: Backend | None = None
        self._verifier: Verifier | None = None
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
            self.verifier  # noqa: B018 — a misconfigured checker fails with the backend, not later
        return self._backend

    @property
    def answer_model(self) -> Any:
        """The cross-encoder judging answer sentences (loaded on first use); None when off."""
        from .answer_model import load_answer_model

        name = self.settings.answer_model
        return None if name == "none" else load_answer_model(name)

    def has_index(self) -> bool:
        if self.settings.database_url and self._store is not None and self._store.manifest:
            return True  # spares a connection per call
        return Store.exists(self.settings)

    def build_if_missing(self, say: Callable[[str], None]) -> IngestReport | None:
        """Index the seeds folder when there is no index yet, telling `say` what it does."""
        if self.has_index():
            return None
        say(f"building the index from {self.settings.seeds_dir}/ …")
        report = self.ingest([Path(self.settings.seeds_dir)])
        say(report.summary())
        return report

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
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        recent: bool = False,
    ) -> list[Passage]:
        """The top-k passages; `recent` favours newer articles among the relevant ones."""
        from .retrieve import prefer_recent, retrieve

        store = self.store  # a missing or mismatched index fails before the model loads
        vector = self.embedder.encode_cached([question])[0]
        lead_vector = None
        if store.manifest.get("lead_tokens") and self.settings.lead_weight:  # article vectors
            lead_vector = self.embedder.articles.encode_cached([question])[0]
        top_k = top_k or self.settings.top_k
        depth = top_k * 2 if recent else top_k
        model = self.answer_model if self.settings.rerank_depth else None
        passages = retrieve(
            store,
            question,
            vector,
            max(depth, self.settings.rerank_depth) if model else depth,
            filters,
            self.settings.rrf_k,
            lead_vector,
            self.settings.lead_weight,
            self.grouped,
        )
        if model is not None:
            from .rerank import rerank

            encode = self.embedder.encode_cached
            weight = self.settings.lexical_weight
            passages = rerank(question, passages, vector, model, encode, weight)[:depth]
        if not recent:
            return passages[:top_k]
        docs = sorted({p.article.doc_id for p in passages})
        return prefer_recent(passages, top_k, store.stories.of(docs) if self.grouped else None)

    def search(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: str | date | None = None,
    ) -> tuple[list[Passage], Period]:
        """The passages an answer to `query` reads as of a day, and the period its time words
        asked for (nothing published after the as-of day; "latest" favours newer articles)."""
        from .when import parse_as_of, read_period

        period = read_period(query, parse_as_of(as_of))
        return self.retrieve(query, top_k, period.filters(filters), period.recent), period

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: str | date | None = None,
    ) -> Answer:
        """Answer from the articles: every sentence cited and checked, or an abstention.

        `as_of` (YYYY-MM-DD, default today) is the day the question is asked on: articles
        published after it are not used, and its time words ("last week") count from it.
        """
        return self.chat(question, None, top_k, filters, as_of)

    def chat(
        self,
        message: str,
        history: Sequence[Any] | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: str | date | None = None,
    ) -> Answer:
        """ask() for a conversation: a follow-up is made standalone before retrieval."""
        answer: Answer | None = None
        for item in self.stream(message, history, top_k, filters, as_of):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def condense(self, message: str, history: Sequence[Any] | None) -> str:
        """The follow-up as a standalone question (LLM rewrite, else carried entities)."""
        from .errors import LLMFailed
        from .followup import as_turns, carry_entities

        keep = self.settings.history_turns
        turns = as_turns(history)[-keep:] if keep else []
        if not turns:
            return message
        rewrite = getattr(self.backend, "rewrite", None)
        if rewrite is not None:
            try:
                return str(rewrite(message, turns))
            except LLMFailed:
                pass  # the carried entities below still make a usable query
        return carry_entities(message, turns, self.settings.entities)

    def stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: str | date | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as the answer is written, then the verified Answer (always last)."""
        from .errors import RagError
        from .when import filtered_out, parse_as_of

        question = question.strip()
        if not question:
            raise RagError("the question is empty — type a question about the articles")
        day = parse_as_of(as_of)
        t0 = time.perf_counter()
        if self.settings.llm == "extractive" and self.answer_model:
            self.answer_model.warm()  # read while the passages are found
        from .followup import plain_question

        query = plain_question(question)
        query = self.condense(query, history) if history else query
        passages, period = self.search(query, top_k, filters, day)
        narrowed = period.filters(filters).describe(today=date.today().isoformat())
        if not passages and narrowed:
            yield filtered_out(question, narrowed, period, time.perf_counter() - t0)
            return
        t1 = time.perf_counter()
        answer = yield from self._write(query, passages)
        if self.grouped:
            from .copies import attribute

            admitted = self.store.allowed_docs(period.filters(filters))
            answer = attribute(answer, self.store, admitted)
        t2 = time.perf_counter()
        timings = {
            **answer.timings,
            "retrieve": (t1 - t0) * 1000,
            "answer": (t2 - t1) * 1000,
            "total": (t2 - t0) * 1000,
        }
        yield replace(
            answer,
            question=question,
            timings=timings,
            query=query if query != question else None,
            as_of=day.isoformat(),
            period=period.to_dict() if period.dated or period.recent else None,
        )

    def _write(self, query: str, passages: list[Passage]) -> Generator[str, None, Answer]:
        """The backend's text deltas as they come; returns the checked answer."""
        from .errors import LLMFailed

        vector = self.embedder.encode_cached([query])[0]
        draft: Answer | Reply | None = None
        try:
            for item in self.backend.stream(query, passages, vector):
                if isinstance(item, str):
                    yield item
                else:
                    draft = item
        except LLMFailed as err:
            draft = replace(self.extractive.answer(query, passages, vector), fallback=str(err))
        assert draft is not None
        answer = self.verifier.verify(draft, passages, vector)
        if isinstance(draft, Reply) and not answer.abstained:  # quotes found their own
            from .conflicts import conflicts_for

            answer = replace(answer, conflicts=conflicts_for(answer.citations, passages))
        return answer

    @property
    def verifier(self) -> Verifier:
        """The verification stage: the RAG_VERIFIER checker against this index's articles."""
        if self._verifier is None:
            from .verify import Verifier, make_checker

            checker = make_checker(self.settings, self.embedder)
            abstain = self.extractive.abstention
            self._verifier = Verifier(checker, self.article, abstain, self.settings.verify)
        return self._verifier

    @property
    def extractive(self) -> Any:
        """The extractive backend, which also stands in when an LLM call fails."""
        from .answer.extractive import ExtractiveBackend

        backend = self.backend
        if isinstance(backend, ExtractiveBackend):
            return backend
        return getattr(backend, "extractive", None) or ExtractiveBackend(
            self.settings, self.embedder
        )

    def article(self, doc_id: str) -> Article | None:
        return self.store.article(doc_id)

    def articles(self) -> list[dict[str, Any]]:
        """The library: doc_id, title, source, published, url, chunks, path (no texts)."""
        return self.store.articles() if self.has_index() else []

    @property
    def grouped(self) -> bool:
        """Whether copies of one story count as one (RAG_STORIES, and the index grouped them)."""
        from .stories import grouped

        return grouped(self.store, self.settings)

    def stories(self, doc_ids: set[str] | None = None) -> list[dict[str, Any]]:
        """The library by story, latest first: story, headline, outlets, first and last date,
        copies, doc_ids; `doc_ids` keeps the stories with one of those articles (a filter)."""
        if not self.has_index():
            return []
        return self.store.stories.listing(self.grouped, doc_ids)

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
            "database": store.db.where,
            "articles": store.article_count(),
            "chunks": store.chunk_count(),
            "manifest": store.manifest,
        }

    def as_retriever(self, top_k: int | None = None) -> Any:
        """A LlamaIndex retriever over the hybrid retrieval (dense, BM25 and article vectors)."""
        from .llama import HybridRetriever

        return HybridRetriever(self, top_k)

    def as_query_engine(self, top_k: int | None = None) -> Any:
        """A LlamaIndex query engine; Response.source_nodes are the cited passages only."""
        from .llama import CitedQueryEngine

        return CitedQueryEngine(engine=self, top_k=top_k)
