"""Answer -> Answer whose citations all hold: each quote is at its offsets in its article.

Quoted answers (the extractive backend's sentences are the quotes) are also graded by term
containment of each sentence in its quotes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..text import strip_markers, terms
from ..types import Answer, Article, Support


def support_of(sentence: str, quotes: list[str]) -> Support:
    """Term containment of a sentence in quotes: all terms -> supported, half -> partial."""
    claim = set(terms(strip_markers(sentence)))
    if not quotes:
        return "unsupported"
    if not claim:
        return "supported"
    backed = set().union(*(terms(q) for q in quotes))
    share = len(claim & backed) / len(claim)
    if share >= 1.0:
        return "supported"
    return "partial" if share >= 0.5 else "unsupported"


def verify_citations(
    answer: Answer, article: Callable[[str], Article | None], regrade: bool = True
) -> Answer:
    """Drop citations whose quote is not at its offsets; with regrade, grade by containment."""
    valid = {}
    for c in answer.citations:
        art = article(c.doc_id)
        if art is not None and art.text[c.char_start : c.char_end] == c.quote:
            valid[c.n] = c
    sentences = []
    for s in answer.sentences:
        cited = tuple(n for n in s.citations if n in valid)
        quotes = [valid[n].quote for n in cited]
        if regrade or len(cited) < len(s.citations):
            support = support_of(s.text, quotes) if regrade else "unsupported"
            s = replace(s, citations=cited, support=support)
        sentences.append(s)
    kept = tuple(c for c in answer.citations if c.n in valid)
    return replace(answer, sentences=tuple(sentences), citations=kept)
