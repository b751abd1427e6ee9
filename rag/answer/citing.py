"""Chosen sentences of retrieved passages -> numbered citations, each naming its speaker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..attribution import attributed
from ..types import Citation, Passage


def cite(passage: Passage, start: int, end: int, n: int | None) -> Citation:
    """A citation of article text [start, end) found in a retrieved passage, widened to name
    the speaker of a quotation (rag/attribution.py)."""
    a = passage.article
    start, end = attributed(a.text, start, end)
    return Citation(
        a.doc_id,
        a.title,
        a.source,
        a.published,
        a.url,
        passage.chunk.chunk_id,
        start,
        end,
        a.text[start:end],
        n,
    )


def numbered(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    """Citations numbered 1.. in order, each dropped that another's span holds (a sentence
    widened to name its speaker may take in another chosen sentence)."""
    given = list(citations)
    kept = [
        c
        for i, c in enumerate(given)
        if not any(
            o.doc_id == c.doc_id
            and o.char_start <= c.char_start
            and c.char_end <= o.char_end
            and (o.char_start, o.char_end) != (c.char_start, c.char_end)
            or (j < i and o == c)
            for j, o in enumerate(given)
        )
    ]
    return tuple(replace(c, n=n) for n, c in enumerate(kept, start=1))
