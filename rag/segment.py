"""Article text -> sentences with character offsets -> chunks sized to what the embedder reads.

Sentences come from the punkt model bundled with llama-index-core (no download), applied to
each line separately so that a line break always ends a sentence (headlines, bylines).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from .types import Chunk

Span = tuple[int, int]
TokenCounter = Callable[[Sequence[str]], list[int]]
SEGMENTER = "punkt-english+titles+lines"
# Titles before a name that punkt's English model does not know as abbreviations: without
# them "California Gov. Gavin Newsom said…" is two sentences, and a citation quotes the first.
TITLES = ("gov", "govs", "sens", "sgt", "capt", "cmdr", "cpl", "pvt", "det", "supt", "insp",
          "rev", "hon", "atty", "pres", "amb", "dept", "mt", "messrs", "gens")  # fmt: skip

_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"\S+")
_HAS_WORD = re.compile(r"\w")
MAX_LINE_CHARS = 20_000  # longer lines reach punkt in pieces


@lru_cache(maxsize=1)
def _punkt():  # type: ignore[no-untyped-def]
    import importlib.util
    import os

    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    # the data folder inside llama-index-core, found without importing it (that takes seconds)
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed — run `make install`")
    cache = os.path.join(list(spec.submodule_search_locations)[0], "_static", "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(TITLES)
    return tokenizer


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`, stripped of surrounding space; text[s:e] is the sentence.

    >>> split_sentences("Hello there. Bye.\\nNew line")
    [(0, 12), (13, 17), (18, 26)]
    >>> len(split_sentences("California Gov. Gavin Newsom spoke. Sgt. Ana Ruiz did too."))
    2
    """
    punkt = _punkt()
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        for base, end in _windows(text, line.start(), line.end()):
            for s, e in punkt.span_tokenize(text[base:end]):
                s, e = _strip(text, base + s, base + e)
                if e > s and _HAS_WORD.search(text, s, e):
                    spans.append((s, e))
    return spans


def sentence_before(text: str, start: int, window: int = 600) -> str:
    """The sentence of `text` that ends just before offset `start` ("" when none does).

    >>> sentence_before("Ana Ruiz won. She thanked voters.", 14)
    'Ana Ruiz won.'
    >>> sentence_before("Ana Ruiz won.", 0)
    ''
    """
    base = max(0, start - window)
    spans = split_sentences(text[base:start])
    return text[base + spans[-1][0] : base + spans[-1][1]] if spans else ""


def _windows(text: str, start: int, end: int, size: int = MAX_LINE_CHARS) -> list[Span]:
    """A line -> pieces of at most `size` characters, cut after a sentence end if there is one.

    subtle: punkt's regexes run under NLTK's 5-second guard, which a multi-megabyte line (a
    feed that stores its article on one line) exceeds; a cut where punkt would split anyway
    changes nothing, and only lines longer than `size` are cut at all.
    """
    pieces: list[Span] = []
    while end - start > size:
        limit = start + size
        cut = max(text.rfind(". ", start, limit), text.rfind("? ", start, limit))
        cut = max(cut, text.rfind("! ", start, limit))
        if cut > start:
            cut += 2
        else:
            space = text.rfind(" ", start + 1, limit)
            cut = space + 1 if space > start else limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _strip(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _split_long(text: str, span: Span, budget: int, count: TokenCounter) -> list[Span]:
    """A sentence longer than the budget -> word-aligned pieces that each fit."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, span[0], span[1])]
    sizes = count([text[s:e] for s, e in words])
    pieces: list[Span] = []
    start, used = words[0][0], 0
    prev_end = words[0][1]
    for (s, e), n in zip(words, sizes, strict=True):
        if used and used + n > budget:
            pieces.append((start, prev_end))
            start, used = s, 0
        # subtle: a single word longer than the budget still becomes one (truncated) piece;
        # only pathological input (a 300-piece "word") gets here.
        used += n
        prev_end = e
    pieces.append((start, prev_end))
    return pieces


def make_chunks(
    doc_id: str,
    text: str,
    sentences: list[Span],
    count: TokenCounter,
    budget: int,
    overlap: int = 0,
) -> list[Chunk]:
    """Group whole sentences into chunks of at most `budget` word pieces each.

    Token counts add up exactly because the word-piece pre-tokenizer splits on whitespace.
    A sentence longer than the budget is split at word boundaries into pieces of its own.
    """
    units: list[Span] = []
    sizes: list[int] = []
    for span, n in zip(sentences, count([text[s:e] for s, e in sentences]), strict=True):
        if n <= budget:
            units.append(span)
            sizes.append(n)
        else:
            pieces = _split_long(text, span, budget, count)
            units.extend(pieces)
            sizes.extend(count([text[s:e] for s, e in pieces]))
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, n in enumerate(sizes):
        if current and used + n > budget:
            groups.append(current)
            keep = current[-overlap:] if overlap else []
            keep = [j for j in keep if sum(sizes[k] for k in keep) + n <= budget]
            current, used = list(keep), sum(sizes[k] for k in keep)
        current.append(i)
        used += n
    if current:
        groups.append(current)
    chunks = []
    for n, group in enumerate(groups):
        start, end = units[group[0]][0], units[group[-1]][1]
        inside = tuple(s for s in sentences if s[0] < end and s[1] > start)
        chunks.append(Chunk(f"{doc_id}#{n}", doc_id, n, start, end, text[start:end], inside))
    return chunks
