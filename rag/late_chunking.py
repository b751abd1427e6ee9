"""Token states of one text -> its vector and the vectors of spans inside it ("late chunking").

A chunk's forward pass already holds a state for every word piece, computed with the whole
chunk in view. Averaging the states of a sentence's word pieces gives that sentence a vector
without encoding it again, and one that knows its context (the name a "he" stands for). The
chunk's own vector is the average of all its states, special tokens included, exactly as
sentence-transformers pools.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .embed import Embedder
    from .types import Article, Chunk

Span = tuple[int, int]


def unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def inside(offsets: Sequence[Span], span: Span) -> list[int]:
    """The word pieces that lie within a character span (special tokens, at (0, 0), never).

    >>> inside([(0, 0), (0, 3), (4, 9), (10, 12), (0, 0)], (4, 12))
    [2, 3]
    """
    s, e = span
    return [i for i, (a, b) in enumerate(offsets) if b > a and a >= s and b <= e]


def pool(states: np.ndarray, offsets: Sequence[Span], spans: Sequence[Span]) -> np.ndarray:
    """(whole-text vector, then one vector per span), unit length; a span holding no word
    piece gets a row of NaN, which the caller encodes on its own instead."""
    out = np.full((1 + len(spans), states.shape[1]), np.nan, dtype=np.float32)
    out[0] = states.mean(axis=0)
    for k, span in enumerate(spans, start=1):
        rows = inside(offsets, span)
        if rows:
            out[k] = states[rows].mean(axis=0)
    return unit(out)


def fill_missing(
    vectors: list[np.ndarray],
    texts: Sequence[str],
    spans: Sequence[Sequence[Span]],
    encode: Callable[[list[str]], np.ndarray],
) -> list[np.ndarray]:
    """Encode on its own every span that pooling left as NaN (no word piece inside it)."""
    holes = [(i, k) for i, v in enumerate(vectors) for k in range(len(v)) if np.isnan(v[k, 0])]
    if holes:
        fresh = encode([texts[i][spans[i][k][0] : spans[i][k][1]] for i, k in holes])
        for (i, k), row in zip(holes, fresh, strict=True):
            vectors[i][k] = row
    return vectors


def embed_chunks(
    chunks: list[tuple[Article, Chunk]], embedder: Embedder, sentence_vectors: str = "late"
) -> tuple[np.ndarray, list[np.ndarray]]:
    """(one vector per chunk, each chunk's sentence vectors in its order).

    late: one pass per chunk, each sentence pooled out of it. pooled: one pass per distinct
    sentence (and headline), the chunk's vector the mean of all their word-piece states.
    separate: the chunk's pass, then every distinct sentence again on its own (twice the work).
    """
    from .index.data import TITLE_CHARS, embed_text  # the index package opens Chroma

    if sentence_vectors == "pooled" and embedder.encoder != "static":
        return _pooled(chunks, embedder, TITLE_CHARS)
    texts = [embed_text(a.title, c.text) for a, c in chunks]
    if sentence_vectors == "late":
        # a sentence's place in the embedded text: after the headline line, then the chunk
        spans = []
        for text, (_, c) in zip(texts, chunks, strict=True):
            head = len(text) - len(c.text) - c.char_start
            spans.append([(head + s, head + e) for s, e in c.sentences])
        pooled = embedder.encode_spans(texts, spans)
        if not pooled:
            return embedder.encode([]), []
        return np.stack([v[0] for v in pooled]), [v[1:] for v in pooled]
    rows = {a.text[s:e]: 0 for a, c in chunks for s, e in c.sentences}
    vectors = embedder.encode(texts + list(rows))
    for row, text in enumerate(rows, start=len(texts)):
        rows[text] = row
    per_chunk = [vectors[[rows[a.text[s:e]] for s, e in c.sentences]] for a, c in chunks]
    return vectors[: len(texts)], per_chunk


def _pooled(
    chunks: list[tuple[Article, Chunk]], embedder: Embedder, title_chars: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each distinct sentence and headline encoded once; a chunk's vector is the mean of the
    word-piece states of its headline's pass and its sentences' passes."""
    rows: dict[str, int] = {}
    for a, c in chunks:
        for text in (a.title[:title_chars], *(a.text[s:e] for s, e in c.sentences)):
            rows.setdefault(text, len(rows))
    vectors, sums, counts = embedder.encode_sums(list(rows))
    chunk_rows = np.zeros((len(chunks), vectors.shape[1]), dtype=np.float32)
    per_chunk = []
    for n, (a, c) in enumerate(chunks):
        own = [rows[a.text[s:e]] for s, e in c.sentences]
        parts = [rows[a.title[:title_chars]], *own] if a.title[:title_chars].strip() else own
        chunk_rows[n] = sums[parts].sum(axis=0) / max(1, counts[parts].sum())
        per_chunk.append(vectors[own])
    return unit(chunk_rows), per_chunk
