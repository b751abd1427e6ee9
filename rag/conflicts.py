"""Passages -> the facts their articles report differently (a toll of 12 in one, 15 in an update).

Two sentences of different articles state the same fact when they share most of their content
terms once the values are set aside ("At least 12 people died in the flooding" and "At least 15
people died in the flooding"), and conflict when each gives a value of one kind the other does
not: a number, a month, or a person, organisation or place (spaCy's entities, when the index
has them; capitalised words are too loose for this: "Helen Okafor, the director" and "Director
Helen Okafor" name the same person). Weekdays are left out: a report says "on Monday" for the day
it was written. Values are ordered newest article first, so the answer can lead with the latest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .text import MONTHS, TOKEN, WEEKDAYS, norm_token, number, terms
from .types import Citation, Conflict, ConflictValue, Passage

ALIGNED = 0.75  # Jaccard overlap of content terms (values aside) for two sentences to align
MIN_SHARED = 3  # and at least this many shared terms: short sentences align too easily
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC"})
KINDS = ("number", "month", "name")
Span = tuple[Passage, int, int]


@dataclass(frozen=True)
class Claim:
    """A sentence of a passage, split into what it says about (frame) and its values."""

    passage: Passage
    start: int
    end: int
    frame: frozenset[str]
    values: dict[str, dict[str, str]]  # kind -> normalised value -> as written

    @property
    def key(self) -> tuple[str, int]:
        return self.passage.article.doc_id, self.start

    @property
    def text(self) -> str:
        return self.passage.article.text[self.start : self.end]


@dataclass(frozen=True)
class Found:
    """A conflict, the sentences it was read from, and the newest value's sentence."""

    conflict: Conflict
    keys: frozenset[tuple[str, int]]
    newest: Span


def claim(p: Passage, start: int, end: int) -> Claim:
    """A sentence's frame (stemmed content terms) and values (numbers, months, names)."""
    text = p.article.text[start:end]
    values: dict[str, dict[str, str]] = {k: {} for k in KINDS}
    name_words: set[str] = set()
    for e in p.entities:
        if e.label in NAME_LABELS and start <= e.start and e.end <= end:
            values["name"].setdefault(e.text.casefold(), e.text)
            name_words.update(norm_token(w) for w in e.text.split())
    frame: set[str] = set()
    for tok in TOKEN.findall(text):
        low = norm_token(tok)
        if (num := number(tok)) is not None:
            values["number"].setdefault(num, tok.strip(".,"))
        elif low in MONTHS:
            values["month"].setdefault(low, tok)
        elif low not in WEEKDAYS and low not in name_words:
            frame.update(terms(tok))
    return Claim(p, start, end, frozenset(frame), values)


def aligned(a: Claim, b: Claim) -> bool:
    """Do two sentences state the same fact (whatever their values)?"""
    shared = len(a.frame & b.frame)
    return shared >= MIN_SHARED and shared / len(a.frame | b.frame) >= ALIGNED


def _unmatched(kind: str, mine: Iterable[str], theirs: Iterable[str]) -> set[str]:
    """My values the other sentence lacks; a shorter form of a name matches ("Okafor")."""
    theirs = set(theirs)
    if kind != "name":
        return set(mine) - theirs
    words = [set(t.split()) for t in theirs]
    return {m for m in mine if not any(set(m.split()) <= w or w <= set(m.split()) for w in words)}


def differ(a: Claim, b: Claim) -> list[str]:
    """The kinds of value in which each sentence gives one the other does not."""
    return [
        k
        for k in KINDS
        if _unmatched(k, a.values[k], b.values[k]) and _unmatched(k, b.values[k], a.values[k])
    ]


def claims(passages: Sequence[Passage]) -> list[Claim]:
    """Each sentence of the passages once."""
    seen: dict[tuple[str, int], Claim] = {}
    for p in passages:
        for s, e in p.chunk.sentences:
            seen.setdefault((p.article.doc_id, s), claim(p, s, e))
    return list(seen.values())


def _groups(found: list[Claim]) -> list[tuple[list[Claim], set[str]]]:
    """Sentences of different articles that state one fact, and the kinds they differ in."""
    parent = list(range(len(found)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    kinds: dict[int, set[str]] = {}
    for i, a in enumerate(found):
        for j in range(i + 1, len(found)):
            b = found[j]
            if a.key[0] != b.key[0] and aligned(a, b):
                parent[root(j)] = root(i)
                if diff := differ(a, b):
                    kinds.setdefault(i, set()).update(diff)
    groups: dict[int, list[Claim]] = {}
    for i, c in enumerate(found):
        groups.setdefault(root(i), []).append(c)
    differing: dict[int, set[str]] = {}
    for i, ks in kinds.items():
        differing.setdefault(root(i), set()).update(ks)
    return [(groups[r], ks) for r, ks in differing.items()]


def by_newest(found: Iterable[Claim]) -> list[Claim]:
    """Newest article first (undated last), then by passage rank."""
    by_rank = sorted(found, key=lambda c: c.passage.rank)
    # subtle: sorted() stays stable with reverse=True, so equal dates keep the rank order
    return sorted(by_rank, key=lambda c: c.passage.article.published or "", reverse=True)


def _conflict(members: list[Claim], kinds: set[str]) -> Found | None:
    """One value per distinct reading, each from its newest article; None if all agree."""
    by_value: dict[str, Claim] = {}
    surfaces: dict[str, list[str]] = {}
    for c in by_newest(members):
        shown = [v for k in KINDS if k in kinds for v in c.values[k].values()]
        if shown and (value := ", ".join(shown)) not in by_value:
            by_value[value], surfaces[value] = c, shown
    if len(by_value) < 2:
        return None
    first = next(iter(by_value.values()))
    fact = first.text
    for word in surfaces[next(iter(by_value))]:
        fact = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "…", fact, count=1)
    values = tuple(ConflictValue(v, _cite(c)) for v, c in by_value.items())
    keys = frozenset(c.key for c in members)
    return Found(Conflict(fact, values), keys, (first.passage, first.start, first.end))


def _cite(c: Claim) -> Citation:
    a = c.passage.article
    return Citation(
        a.doc_id, a.title, a.source, a.published, a.url, c.passage.chunk.chunk_id, c.start,
        c.end, c.text,
    )  # fmt: skip


def find_conflicts(passages: Sequence[Passage]) -> list[Found]:
    """Every fact the passages' articles report differently, in passage order."""
    out = [f for members, kinds in _groups(claims(passages)) if (f := _conflict(members, kinds))]
    return out


def _touches(found: Found, spans: Iterable[tuple[str, int, int]]) -> bool:
    """Does a conflict's fact include one of these (doc_id, start, end) spans?"""
    return any((d, s) in found.keys for d, s, _ in spans)


def conflicts_for(
    citations: Sequence[Citation], passages: Sequence[Passage]
) -> tuple[Conflict, ...]:
    """The conflicts over facts an answer cites."""
    spans = [(c.doc_id, c.char_start, c.char_end) for c in citations]
    return tuple(f.conflict for f in find_conflicts(passages) if _touches(f, spans))


def newest_first(
    chosen: list[Span], passages: Sequence[Passage]
) -> tuple[list[Span], tuple[Conflict, ...]]:
    """Quoted sentences led by the newest value of the first fact reported differently, and
    the conflicts over the facts they state."""
    spans = [(p.article.doc_id, s, e) for p, s, e in chosen]
    found = [f for f in find_conflicts(passages) if _touches(f, spans)]
    if not found:
        return chosen, ()
    first = min(found, key=lambda f: min(i for i, sp in enumerate(spans) if _touches(f, [sp])))
    lead = first.newest
    key = (lead[0].article.doc_id, lead[1])
    rest = [c for c in chosen if (c[0].article.doc_id, c[1]) != key]
    return [lead, *rest], tuple(f.conflict for f in found)


def where(value: ConflictValue) -> str:
    """'Northern Wire, 2025-03-12': who reported a value, and when."""
    c = value.citation
    return ", ".join(x for x in (c.source, c.published) if x) or "outlet and date not given"


def describe(conflict: Conflict) -> str:
    """'15 (Northern Wire, 2025-03-12) · 12 (Daily Courier, 2025-03-10)'."""
    return " · ".join(f"{v.value} ({where(v)})" for v in conflict.values)


def prompt_note(passages: Sequence[Passage]) -> str:
    """A line for an LLM per fact the passages report differently, newest value first."""
    number = {p.chunk.chunk_id: n for n, p in enumerate(passages, 1)}
    lines = []
    for f in find_conflicts(passages):
        said = "; ".join(
            f"{v.value} in passage {number[v.citation.chunk_id]} ({where(v)})"
            for v in f.conflict.values
        )
        lines.append(
            f"The reports differ on “{f.conflict.fact}”: {said}. Give the newest figure "
            "first and mention the other."
        )
    return "\n".join(lines)
