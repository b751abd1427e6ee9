"""Articles, chunks, filters -> the records the parts of the index pass between them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..types import Article, Chunk, Entity

TITLE_CHARS = 160  # headline prefix embedded with each chunk


def embed_text(title: str, chunk_text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: its headline, then its sentences.

    >>> embed_text("Bridge shuts", "The bridge shuts on 14 March.")
    'Bridge shuts\\nThe bridge shuts on 14 March.'
    """
    return f"{title[:TITLE_CHARS]}\n{chunk_text}"


def published_day(published: str | None) -> int | None:
    """'2023-01-06' -> 20230106, for date-range filters in Chroma.

    >>> published_day("2023-01-06T09:00"), published_day("Spring 2023")
    (20230106, None)
    """
    if published and len(published) >= 10 and published[4] == "-" and published[7] == "-":
        digits = published[:10].replace("-", "")
        if digits.isdigit():
            return int(digits)
    return None


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some outlets and/or a publication date range (inclusive).

    `as_of` drops articles published after it but, unlike `published_to`, keeps undated ones:
    nothing says they came later.
    """

    sources: tuple[str, ...] = ()
    published_from: str | None = None  # YYYY-MM-DD
    published_to: str | None = None
    as_of: str | None = None  # YYYY-MM-DD

    def __bool__(self) -> bool:
        return bool(self.sources or self.published_from or self.published_to or self.as_of)

    def describe(self, today: str | None = None) -> str:
        """The filters in words ('' when none narrows anything; as of `today` narrows nothing).

        >>> Filters(("POLITICO",), "2025-03-01", "2025-03-31", "2025-04-02").describe()
        'outlets: POLITICO; published 2025-03-01 to 2025-03-31; as of 2025-04-02'
        """
        parts = [f"outlets: {', '.join(self.sources)}"] if self.sources else []
        lo, hi = self.published_from, self.published_to
        if lo or hi:
            parts.append(
                f"published {lo} to {hi}" if lo and hi else f"published since {lo}"
                if lo else f"published up to {hi}"
            )  # fmt: skip
        if self.as_of and self.as_of != today:
            parts.append(f"as of {self.as_of}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ArticleHashes:
    """What ingest compares a stored article by: its hashes, its file and the folder it came
    from (None when it came from neither)."""

    record_hash: str
    content_hash: str
    path: str | None
    root: str | None


class LoadedChunk(NamedTuple):
    """A stored chunk and the article it slices its text from."""

    chunk: Chunk
    article: Article


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
    entities: list[Entity] | None = None  # None: not read for entities (RAG_ENTITIES=false)
