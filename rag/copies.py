"""Answer + index -> Answer whose citations quote the earliest copy of their story carrying the
sentence, and name the other copies that carry it too (`Citation.also_reported_by`).

A copy carries a quote when one of its sentences has the same normalised text (`text.normalise`:
case, punctuation and articles aside); a copy whose sentence was edited ("About 3,400" for
"Around 3,400") does not. The earliest published copy is cited (the fullest text among copies
of one date, or of none), so a wire story is credited to where it appeared first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .index.stories import copy_order
from .text import normalise
from .types import Answer, Article, Citation, Copy, Passage

if TYPE_CHECKING:
    from .index import Store

# normalised sentence -> (chunk_id, char_start, char_end) in one article
SentenceIndex = dict[str, tuple[str, int, int]]


class _Copies:
    """Articles of the index and their sentences, each loaded once per answer; `allowed` (the
    doc ids the question's filters admit; None: all) bounds which copies count."""

    def __init__(self, store: Store, allowed: set[str] | None = None) -> None:
        self.store, self.allowed = store, allowed
        self._articles: dict[str, tuple[Article, SentenceIndex] | None] = {}

    def get(self, doc_id: str) -> tuple[Article, SentenceIndex] | None:
        if self.allowed is not None and doc_id not in self.allowed:
            return None  # an outlet or a date the question's filters leave out
        self.load([doc_id])
        return self._articles[doc_id]

    def load(self, doc_ids: list[str]) -> None:
        """Read the articles not read yet with a query per table, not three per article (a
        story copied 200 times cost 600 round trips to a PostgreSQL server)."""
        todo = [d for d in dict.fromkeys(doc_ids) if d not in self._articles]
        if not todo:
            return
        records = self.store.records
        articles = records.articles_by_id(todo)
        chunk_ids = records.chunk_ids_of(list(articles))
        loaded = self.store.chunks([c for ids in chunk_ids.values() for c in ids])
        for doc_id in todo:
            article = articles.get(doc_id)
            if article is None:
                self._articles[doc_id] = None
                continue
            index: SentenceIndex = {}
            for cid in (c for c in chunk_ids.get(doc_id, []) if c in loaded):
                for s, e in loaded[cid].chunk.sentences:
                    index.setdefault(normalise(article.text[s:e]), (cid, s, e))
            self._articles[doc_id] = (article, index)


def attribute_citation(c: Citation, copies: _Copies) -> Citation:
    """The citation moved to the earliest copy carrying its quote, naming the other carriers."""
    doc_ids = copies.store.stories.copies(c.doc_id)
    if len(doc_ids) < 2:
        return c
    key = normalise(c.quote)
    copies.load([d for d in doc_ids if copies.allowed is None or d in copies.allowed])
    carriers = []
    for doc_id in doc_ids:
        got = copies.get(doc_id)
        if got is not None and key in got[1]:
            carriers.append((got[0], got[1][key]))
    if c.doc_id not in {a.doc_id for a, _ in carriers}:  # not a whole sentence: left as cited
        return c
    carriers.sort(key=lambda ac: copy_order(ac[0].published, len(ac[0].text), ac[0].doc_id))
    (first, (chunk_id, start, end)), others = carriers[0], carriers[1:]
    also = tuple(Copy(a.doc_id, a.source, a.published, a.url) for a, _ in others)
    if first.doc_id == c.doc_id:
        return replace(c, also_reported_by=also)
    return Citation(
        first.doc_id, first.title, first.source, first.published, first.url, chunk_id,
        start, end, first.text[start:end], c.n, also,
    )  # fmt: skip


def attribute(answer: Answer, store: Store, allowed: set[str] | None = None) -> Answer:
    """The answer with every citation attributed across its story's copies (see module), among
    the articles `allowed` (None: all)."""
    if not answer.citations:
        return answer
    copies = _Copies(store, allowed)
    cited = tuple(attribute_citation(c, copies) for c in answer.citations)
    return replace(answer, citations=cited)


def other_outlets(c: Citation) -> list[str]:
    """The outlets of a citation's other copies, in copy order, without its own outlet (the
    same outlet running the story again adds no one)."""
    own = c.source or c.doc_id
    names = dict.fromkeys(x.source or x.doc_id for x in c.also_reported_by)
    return [n for n in names if n != own]


def reported_by(c: Citation) -> str:
    """'also reported by A, B (3 outlets)' for a citation with copies elsewhere, else ''.

    >>> cite = Citation("a", "T", "Wire", None, None, "a#0", 0, 1, "x", 1)
    >>> reported_by(replace(cite, also_reported_by=(Copy("b", "Courier", None, None),)))
    'also reported by Courier (2 outlets)'
    """
    names = other_outlets(c)
    return f"also reported by {', '.join(names)} ({len(names) + 1} outlets)" if names else ""


def with_variants(
    store: Store, ranked: list[str], picked: list[str], story: dict[str, str], top_k: int
) -> list[str]:
    """`picked` (one copy standing for each story) plus the ranked chunks of other copies that
    state one of its facts with another value (an update's "15 died" for the first report's
    "12"; rag/conflicts.py decides), best ranked first, top_k in all.

    subtle: grouping hides a copy that repeats or extends the story, never one that changes a
    fact: the conflicting reports must both reach the answer to be shown side by side.
    """
    from .conflicts import aligned, claims, differ

    place = {cid: i for i, cid in enumerate(ranked)}
    # a copy ranked below every picked chunk cannot make the cut when they fill it
    full = picked and len(picked) >= top_k
    last = max(place.get(c, len(place)) for c in picked) if full else len(place)
    stories = {story.get(c.rsplit("#", 1)[0]) for c in picked}
    chosen = set(picked)
    others = [
        c for c in ranked[:last] if c not in chosen and story.get(c.rsplit("#", 1)[0]) in stories
    ]
    if not others:
        return picked
    stories = {story.get(c.rsplit("#", 1)[0]) for c in others}  # the stories still in question
    loaded = store.chunks(picked + others)
    entities = store.entities(sorted({got.chunk.doc_id for got in loaded.values()}))

    def said(cid: str) -> list[Any]:
        got = loaded[cid]
        mine = tuple(e for e in entities.get(got.chunk.doc_id, ()) if _inside(e, got.chunk))
        return claims([Passage(got.chunk, got.article, 0.0, 0, entities=mine)])

    known: dict[str | None, list[Any]] = {}
    for cid in picked:
        if cid in loaded and story.get(cid.rsplit("#", 1)[0]) in stories:
            known.setdefault(story.get(cid.rsplit("#", 1)[0]), []).extend(said(cid))
    extra = [
        cid
        for cid in others
        if cid in loaded
        and any(
            aligned(a, b) and differ(a, b)
            for a in said(cid)
            for b in known.get(story.get(cid.rsplit("#", 1)[0]), [])
        )
    ]
    return sorted(picked + extra, key=lambda c: place.get(c, len(place)))[:top_k]


def _inside(e: Any, chunk: Any) -> bool:
    return bool(chunk.char_start <= e.start < chunk.char_end)
