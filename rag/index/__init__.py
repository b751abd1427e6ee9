"""Articles + chunks + vectors -> the on-disk index, behind one `Store` (see store.py)."""

from .data import (
    TITLE_CHARS,
    ArticleHashes,
    ArticleWrite,
    Filters,
    LoadedChunk,
    embed_text,
    published_day,
)
from .manifest import SCHEMA_VERSION
from .records import SENTENCE_VECTORS
from .store import Store

__all__ = [
    "SCHEMA_VERSION",
    "SENTENCE_VECTORS",
    "TITLE_CHARS",
    "ArticleHashes",
    "ArticleWrite",
    "Filters",
    "LoadedChunk",
    "Store",
    "embed_text",
    "published_day",
]
