"""Files -> index, incrementally: unchanged skipped, changed replaced, duplicates reported."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .backfill import add_article_vectors, add_entities, entities_by_doc, lead_text
from .embed import Embedder
from .index import (
    SCHEMA_VERSION,
    SENTENCE_VECTORS,
    TITLE_CHARS,
    ArticleWrite,
    Store,
)
from .ingest import (
    Limits,
    Rejection,
    SourceFile,
    content_hash,
    discover,
    iter_articles,
    record_hash,
)
from .late_chunking import embed_chunks
from .metadata import not_sentences
from .segment import SEGMENTER, make_chunks, split_sentences
from .settings import Settings
from .stories import SIGNATURE as STORY_SIGNATURE
from .stories import group_stories, regroup_needed
from .types import Article, Chunk, Entity


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, stored as)
    rejected: list[Rejection] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unsupported types inside folders
    chunks: int = 0
    chars: int = 0
    seconds: float = 0.0
    # seconds per step (reading, chunking, encoder, article vectors, entities, stories, ...)
    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the time the block takes to `stages[stage]`."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - t0

    @property
    def exit_code(self) -> int:
        """0 = all fine, 3 = some files rejected and everything else ingested."""
        return 3 if self.rejected else 0

    def summary(self) -> str:
        rate = self.chunks / self.seconds if self.seconds else 0.0
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged "
            f"{len(self.unchanged)}, duplicate {len(self.duplicates)}, rejected "
            f"{len(self.rejected)}, removed {len(self.removed)} — {self.chunks} chunks embedded "
            f"in {self.seconds:.1f} s ({rate:.1f} chunks/s)"
        )

    def lines(self) -> list[str]:
        """The summary, then a line for each added, updated, duplicate and rejected article
        (rejected files by name only, no folders).

        >>> IngestReport(added=["a"], rejected=[Rejection("/in/b.pdf", "empty")]).lines()[1:]
        ['  added: a', '  rejected: b.pdf: empty']
        """
        out = [self.summary()]
        out += [f"  added: {d}" for d in self.added]
        out += [f"  updated: {d}" for d in self.updated]
        out += [f"  duplicate: {d} (same text as {t}, stored once)" for d, t in self.duplicates]
        out += [f"  rejected: {Path(r.where).name}: {r.reason}" for r in self.rejected]
        return out


def chunk_article(article: Article, embedder: Embedder, overlap: int = 0) -> list[Chunk]:
    """Sentences -> chunks that fit the model together with the headline prefix."""
    title_tokens = embedder.count_tokens([article.title[:TITLE_CHARS]])[0]
    budget = embedder.max_tokens - 2 - title_tokens  # 2: the [CLS] and [SEP] tokens
    spans = split_sentences(article.text)
    skip = not_sentences(article.text)  # front matter, byline and date lines, credits
    kept = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in skip)]
    spans = kept or spans
    return make_chunks(article.doc_id, article.text, spans, embedder.count_tokens, budget, overlap)


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    content_hash: str
    record_hash: str
    root: str


class _Ingest:
    """One ingest run: decides what each article is, batches embeddings, writes the store."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.report = IngestReport()
        # subtle: repair even without a manifest: an ingest killed before its first manifest
        # write still leaves vectors in Chroma.
        self.redo = set(store.repair())
        self.known = store.hashes()
        self.by_content = {v.content_hash: doc for doc, v in self.known.items()}
        self.seen: set[str] = set()
        self.pending: list[_Pending] = []
        self.pooling = pooling_for(store, embedder, settings)

    def add(self, article: Article, src: SourceFile) -> None:
        doc_id = article.doc_id
        if doc_id in self.seen:
            self.report.rejected.append(
                Rejection(str(src.path), f"document id '{doc_id}' already used by another file")
            )
            return
        self.seen.add(doc_id)
        chash, rhash = content_hash(article.text), record_hash(article)
        old = self.known.get(doc_id)
        if old and old.record_hash == rhash and doc_id not in self.redo:
            self.report.unchanged.append(doc_id)
            return
        twin = self.by_content.get(chash)
        if twin is not None and twin != doc_id and self._still_there(twin):
            self.report.duplicates.append((doc_id, twin))
            return
        try:
            with self.report.timed("chunking"):
                chunks = chunk_article(article, self.embedder, self.settings.chunk_overlap)
        except (TimeoutError, ValueError, RecursionError) as err:  # one odd text, not the run
            why = f"could not split into sentences ({type(err).__name__}: {err})"
            self.report.rejected.append(Rejection(article.path or doc_id, why))
            return
        self.by_content[chash] = doc_id
        root = str(src.root.resolve())
        self.pending.append(_Pending(article, chunks, chash, rhash, root))
        if sum(len(p.chunks) for p in self.pending) >= self.settings.ingest_batch_chunks:
            self.flush()

    def _still_there(self, doc_id: str) -> bool:
        """A stored twin whose file is gone is no reason to skip its copy."""
        if doc_id in self.seen:
            return True
        path = self.known[doc_id].path if doc_id in self.known else None
        return path is None or Path(path).exists()

    def flush(self) -> None:
        """Embed the pending chunks and their sentences, read their entities, write them.

        spaCy reads on a thread of its own while the encoder runs: both spend their time in
        native code (onnxruntime lets go of the GIL), so on two cores they overlap.
        """
        with ThreadPoolExecutor(1) as pool:
            entities = pool.submit(self.read_entities) if self.settings.entities else None
            chunk_vectors, per_chunk, leads = self.vectors()
            with self.report.timed("waiting for entities"):
                found = entities.result() if entities is not None else None
        writes: list[ArticleWrite] = []
        i = 0
        for p, lead in zip(self.pending, leads, strict=True):
            n = len(p.chunks)
            writes.append(
                ArticleWrite(
                    p.article,
                    p.chunks,
                    chunk_vectors[i : i + n],
                    p.content_hash,
                    p.record_hash,
                    p.root,
                    per_chunk[i : i + n],
                    lead,
                    None if found is None else found.get(p.article.doc_id, []),
                )
            )
            i += n
        with self.report.timed("store"):
            twins = dict(self.store.write_articles(writes, self.known.keys() | self.seen))
        self.report.duplicates += sorted(twins.items())
        for p in (p for p in self.pending if p.article.doc_id not in twins):
            self.report.chunks += len(p.chunks)
            self.report.chars += len(p.article.text)
            bucket = self.report.updated if p.article.doc_id in self.known else self.report.added
            bucket.append(p.article.doc_id)
        self.pending.clear()

    def vectors(self) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray | None]]:
        """(chunk vectors, each chunk's sentence vectors, each article's vector or None)."""
        with self.report.timed("encoder"):
            chunks = [(p.article, c) for p in self.pending for c in p.chunks]
            chunk_vectors, per_chunk = embed_chunks(chunks, self.embedder, self.pooling)
        leads: list[np.ndarray | None] = [None] * len(self.pending)
        if self.settings.lead_tokens:
            with self.report.timed("article vectors"):
                encoder, pieces = self.embedder.articles, self.settings.lead_tokens
                leads = list(
                    encoder.encode([lead_text(p.article, encoder, pieces) for p in self.pending])
                )
        return chunk_vectors, per_chunk, leads

    def read(
        self, files: list[SourceFile]
    ) -> Iterator[tuple[SourceFile, list[Article], list[Rejection]]]:
        """Each file's articles and rejections, read as it is reached (timed as "reading")."""
        reader = iter_articles(files, Limits.from_settings(self.settings))
        while True:
            with self.report.timed("reading"):
                item = next(reader, None)
            if item is None:
                return
            yield item

    def read_entities(self) -> dict[str, list[Entity]]:
        """doc_id -> the entities of its sentences, for the pending articles (one spaCy run)."""
        with self.report.timed("entities"):
            return entities_by_doc(
                [(p.article, [s for c in p.chunks for s in c.sentences]) for p in self.pending]
            )

    def prune(self, paths: list[Path]) -> None:
        """Remove documents ingested from these folders whose files (or records) are gone."""
        roots = {str(p.resolve()) for p in paths if p.is_dir()}
        gone = [d for d, v in self.known.items() if v.root in roots and d not in self.seen]
        self.store.delete_articles(gone)
        self.report.removed = gone


def run_ingest(
    store: Store,
    embedder: Embedder,
    settings: Settings,
    paths: list[Path],
    prune: bool = False,
    progress: bool | None = None,
) -> IngestReport:
    """Ingest files and folders into the store; the report says what happened to each."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    files, rejected, skipped = discover(paths)
    store.check_manifest(
        dimension=embedder.dimension, chunk_tokens=embedder.max_tokens - 2, encoder=embedder.encoder
    )
    run = _Ingest(store, embedder, settings)
    run.report.rejected.extend(rejected)
    run.report.skipped = skipped
    show = sys.stderr.isatty() if progress is None else progress
    # Files are read one at a time as the ingest reaches them (an archive of a million articles
    # is never in memory at once); the bar counts the files' bytes, a feed's share per article.
    sizes = [_size(src.path) for src in files]
    with tqdm(total=sum(sizes), unit="B", unit_scale=True, desc="ingest", disable=not show) as bar:
        for (src, articles, bad), size in zip(run.read(files), sizes, strict=True):
            run.report.rejected.extend(bad)
            for article in articles:
                run.add(article, src)
                bar.update(size / len(articles))
            if not articles:
                bar.update(size)
    if run.pending:
        run.flush()
    if prune:
        run.prune(paths)
    if settings.lead_tokens:
        with run.report.timed("article vectors"):
            add_article_vectors(store, embedder, settings.lead_tokens)
    if settings.entities:
        with run.report.timed("entities"):
            add_entities(store)
    if settings.stories:
        with run.report.timed("stories"):
            group_stories(store, settings.story_threshold, regroup_needed(store, settings))
    with run.report.timed("bm25"):
        store.rebuild_bm25()
    write_manifest(store, embedder, settings, run.pooling)
    run.report.seconds = time.perf_counter() - t0
    return run.report


def _size(path: Path) -> int:
    """A file's size in bytes for the progress bar (0 if it cannot be read: it is rejected)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def pooling_for(store: Store, embedder: Embedder, settings: Settings) -> str:
    """How this ingest makes chunk and sentence vectors (RAG_SENTENCE_VECTORS): an index that
    holds articles keeps the way it was built (one kind of chunk vector per index; an index
    from before the setting was built "separate"), and the static table reads every text
    on its own anyway."""
    if embedder.encoder == "static":
        return "separate"
    if store.article_count():
        return str(store.manifest.get("sentence_pooling", "separate"))
    return settings.sentence_vectors


def write_manifest(store: Store, embedder: Embedder, settings: Settings, pooling: str) -> None:
    """Record how the index was built, so that other settings cannot open it by mistake."""
    store.write_manifest(
        schema_version=SCHEMA_VERSION,
        embed_model=settings.embed_model,
        encoder=embedder.encoder,
        sentence_vectors=SENTENCE_VECTORS,
        sentence_pooling=pooling,
        dimension=embedder.dimension,
        chunk_tokens=embedder.max_tokens - 2,
        chunk_overlap=settings.chunk_overlap,
        lead_tokens=settings.lead_tokens,
        lead_encoder=embedder.articles.encoder if settings.lead_tokens else None,
        title_prefix_chars=TITLE_CHARS,
        segmenter=SEGMENTER,
        entities=settings.entities,
        stories=settings.stories,
        story_threshold=settings.story_threshold,
        story_signature=STORY_SIGNATURE,
        articles=store.article_count(),
        chunks=store.chunk_count(),
    )
