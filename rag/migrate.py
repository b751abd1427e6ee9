"""An embedded index -> PostgreSQL + a Chroma server (`rag migrate --to postgresql://…`).

Rows, sentence and article vectors, entities and stories are copied as stored, chunk vectors
read back from the embedded Chroma: nothing is embedded again, so the copy answers exactly as
the original. An article already there with the same record hash and its vectors in place is
skipped, so a second run copies nothing and an interrupted one picks up where it stopped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NoIndexError, StoreError
from .index import ArticleHashes, ArticleWrite, Store
from .settings import Settings

BATCH = 100  # articles per write: one Chroma upsert and one transaction


@dataclass
class MigrateReport:
    """What a migration did: counts, and where from and to."""

    source: str
    target: str
    articles: int = 0  # in the source index
    copied: list[str] = field(default_factory=list)
    skipped: int = 0  # already in the target, unchanged
    chunks: int = 0  # chunks (and chunk vectors) copied
    stories: int = 0  # story rows copied

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["copied"] = len(self.copied)
        return out

    def summary(self) -> str:
        return (
            f"{self.source} -> {self.target}: {len(self.copied)} of {self.articles} articles "
            f"copied ({self.chunks} chunks with their vectors, {self.stories} story rows), "
            f"{self.skipped} already there"
        )


def migrate(settings: Settings, url: str) -> MigrateReport:
    """Copy the index at settings.index_dir into the database at `url` (and RAG_CHROMA_URL)."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise StoreError(f"--to {url!r} is not a PostgreSQL URL — write postgresql://host/db")
    # subtle: an embedded index keeps its vectors in its folder (chroma/); one built with
    # RAG_CHROMA_URL keeps them in that server, which is then the target's too
    local = (Path(settings.index_dir) / "chroma").is_dir()
    source = Store(
        settings.model_copy(
            update={"database_url": None, "chroma_url": None if local else settings.chroma_url}
        )
    )
    if not source.article_count():
        raise NoIndexError(f"the index at {source.dir}/ holds no articles — nothing to copy")
    target = Store(settings.model_copy(update={"database_url": url}), create=True)
    m = source.manifest
    target.check_manifest(m.get("dimension"), m.get("chunk_tokens"), m.get("encoder"))
    report = MigrateReport(f"{source.dir}/", target.db.where, source.article_count())
    redo = set(target.repair())
    there = target.hashes()
    todo = []
    for doc_id, hashes in sorted(source.hashes().items()):
        old = there.get(doc_id)
        if old and old.record_hash == hashes.record_hash and doc_id not in redo:
            report.skipped += 1
        else:
            todo.append(doc_id)
    whole = _Whole(source.hashes(), set(source.without_entities()), source.stories.signatures())
    for at in range(0, len(todo), BATCH):
        _copy(source, target, todo[at : at + BATCH], whole, report)
    if report.copied or not target.manifest:
        keep = {k: v for k, v in m.items() if k not in ("created_at", "updated_at")}
        keep.update(articles=target.article_count(), chunks=target.chunk_count())
        target.write_manifest(**keep)
    source.close()
    target.close()
    return report


@dataclass
class _Whole:
    """What is read once for the whole source index."""

    hashes: dict[str, ArticleHashes]
    unread: set[str]  # never read for entities
    signatures: list[tuple[str, str, bytes]]  # (doc_id, story, signature)


def _copy(
    source: Store, target: Store, doc_ids: list[str], whole: _Whole, report: MigrateReport
) -> None:
    """One batch of articles, with everything stored beside them."""
    chunk_ids = {d: source.records.chunk_ids(d) for d in doc_ids}
    every = [c for d in doc_ids for c in chunk_ids[d]]
    loaded = source.chunks(every)
    vectors = _chunk_vectors(source, every)
    sentences = source.sentence_vectors(every)
    leads = dict(source.records.article_vectors_of(doc_ids))
    entities = source.entities(doc_ids)
    writes = []
    for doc_id in doc_ids:
        article = source.article(doc_id)
        if article is None:
            continue
        ids = sorted(chunk_ids[doc_id], key=lambda c: loaded[c].chunk.n)
        h = whole.hashes[doc_id]
        writes.append(
            ArticleWrite(
                article,
                [loaded[c].chunk for c in ids],
                np.stack([vectors[c] for c in ids]) if ids else np.zeros((0, 0)),
                h.content_hash,
                h.record_hash,
                h.root,
                [sentences[c] for c in ids] if all(c in sentences for c in ids) else None,
                leads.get(doc_id),
                None if doc_id in whole.unread else entities.get(doc_id, []),
            )
        )
        report.copied.append(doc_id)
        report.chunks += len(ids)
    target.write_articles(writes, whole.hashes.keys())
    batch = set(doc_ids)
    rows = [r for r in whole.signatures if r[0] in batch]
    target.stories.write(rows)
    report.stories += len(rows)


def _chunk_vectors(source: Store, chunk_ids: list[str]) -> dict[str, np.ndarray]:
    """chunk_id -> its vector as stored in the source's Chroma."""
    got = source.vectors.get(chunk_ids)
    missing = sorted(set(chunk_ids) - set(got))
    if missing:
        raise StoreError(
            f"{len(missing)} chunks have no vector in the source index (first: {missing[0]}) "
            "— run `rag ingest` on it once to repair it, then migrate again"
        )
    return got
