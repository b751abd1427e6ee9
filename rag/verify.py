"""Answer -> Answer with every citation checked against the article text it quotes.

Two checks: the citation invariant (article_text[char_start:char_end] == quote, else the
citation is dropped) and support of each answer sentence by its cited quotes, from term
containment: all of the sentence's content terms in the quotes -> supported, at least half ->
partial, fewer -> unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from .lexical import terms
from .types import Answer, AnswerSentence, Article, Support

_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def strip_markers(text: str) -> str:
    """'Ofcom acted. [1]' -> 'Ofcom acted.'"""
    return _MARKER.sub("", text).strip()


def support_of(sentence: str, quotes: list[str]) -> Support:
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


def verify_citations(answer: Answer, article: Callable[[str], Article | None]) -> Answer:
    """Drop citations whose quote is not at its offsets; grade every sentence's support."""
    valid = {}
    for c in answer.citations:
        art = article(c.doc_id)
        if art is not None and art.text[c.char_start : c.char_end] == c.quote:
            valid[c.n] = c
    sentences = []
    for s in answer.sentences:
        cited = tuple(n for n in s.citations if n in valid)
        quotes = [valid[n].quote for n in cited]
        sentences.append(AnswerSentence(s.text, cited, support_of(s.text, quotes)))
    kept = tuple(c for c in answer.citations if c.n in valid)
    return replace(answer, sentences=tuple(sentences), citations=kept)
